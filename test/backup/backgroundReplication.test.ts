import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { auditLog } from '../../app/domain/audit/auditLog.ts';
import type { BackupResult } from '../../backup/archive/createBackup.ts';
import { backgroundReplication } from '../../backup/worker/backgroundReplication.ts';
import { testConfig } from '../harness/config.ts';

type Audit = ReturnType<typeof auditLog>;

function recorder() {
  const entries: { action: string; outcome: string; details: Record<string, unknown> }[] = [];
  const audit = {
    record: (entry: (typeof entries)[number]) => {
      entries.push(entry);
      return Promise.resolve();
    },
  } as unknown as Audit;
  return { audit, entries };
}

function backupIn(dir: string, name: string): BackupResult {
  const body = Buffer.from(`backup ${name}`);
  writeFileSync(join(dir, name), body);
  const sha256 = createHash('sha256').update(body).digest('hex');
  return { file: join(dir, name), name, size: body.length, sha256, manifest: {} as never };
}

describe('offsite copies in the background (issue 7)', () => {
  it('copies after the backup job has returned, and the newest backup waits its turn', async () => {
    const local = mkdtempSync(join(tmpdir(), 'parley-bg-local-'));
    const offsite = mkdtempSync(join(tmpdir(), 'parley-bg-offsite-'));
    const { audit, entries } = recorder();
    const config = testConfig({ PARLEY_BACKUP_DIR: local, PARLEY_BACKUP_TARGET_DIR: offsite });
    const copies = backgroundReplication(config, audit);
    const a = backupIn(local, 'parley-20261121T010000Z.tar.gz.gpg');
    const b = backupIn(local, 'parley-20261121T020000Z.tar.gz.gpg');
    const c = backupIn(local, 'parley-20261121T030000Z.tar.gz.gpg');
    expect(copies.start(a, [])).toBe(true);
    expect(copies.start(b, [])).toBe(false); // waits for the round in flight
    expect(copies.start(c, [])).toBe(false); // and is replaced by a newer one
    expect(existsSync(join(offsite, a.name))).toBe(false); // nothing was copied synchronously
    await copies.idle();
    expect(existsSync(join(offsite, a.name))).toBe(true);
    expect(existsSync(join(offsite, b.name))).toBe(false);
    expect(existsSync(join(offsite, c.name))).toBe(true);
    expect(entries.map((e) => [e.action, e.outcome, e.details.name])).toEqual([
      ['backup.offsite', 'success', a.name],
      ['backup.offsite', 'success', c.name],
    ]);
    const status = JSON.parse(readFileSync(join(local, 'offsite-status.json'), 'utf8')) as {
      backup: string;
    };
    expect(status.backup).toBe(c.name);
  });

  it('audits a target that stays down as a failure, and copies again on the next backup', async () => {
    const local = mkdtempSync(join(tmpdir(), 'parley-bg-local-'));
    const blocker = join(local, 'not-a-folder');
    writeFileSync(blocker, '');
    const { audit, entries } = recorder();
    const down = testConfig({
      PARLEY_BACKUP_DIR: local,
      PARLEY_BACKUP_TARGET_DIR: join(blocker, 'offsite'), // under a file: every copy fails
      PARLEY_BACKUP_OFFSITE_ATTEMPTS: '1',
    });
    const copies = backgroundReplication(down, audit);
    copies.start(backupIn(local, 'parley-20261121T010000Z.tar.gz.gpg'), []);
    await copies.idle();
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'backup.offsite',
        outcome: 'failure',
        details: { name: 'parley-20261121T010000Z.tar.gz.gpg', targets: 1, failed: 1 },
      }),
    ]);
    expect(copies.start(backupIn(local, 'parley-20261121T020000Z.tar.gz.gpg'), [])).toBe(true);
    await copies.idle();
    expect(entries).toHaveLength(2);
  });
});
