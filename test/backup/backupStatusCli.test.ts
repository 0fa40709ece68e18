import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BackupStatus } from '../../app/domain/backupStatus.ts';
import { ALERT_EXIT, age, formatBackupStatus, size } from '../../ops/backupStatus.ts';
import { devEnv, repoRoot } from '../harness/config.ts';

const now = new Date('2026-11-22T12:00:00Z');
const empty: BackupStatus = {
  lastBackup: null,
  backups: 0,
  lastDrill: null,
  offsite: null,
  alerts: ['no backup yet'],
};

describe('make backup-status: the lines people read (issue 7)', () => {
  it('says when nothing has happened yet, and raises the alert', () => {
    expect(formatBackupStatus(empty, now, '/var/lib/parley/backups')).toEqual([
      'Backups (/var/lib/parley/backups):',
      '  newest:   none yet',
      '  drill:    none yet (make backup-drill KEY=<IT private key>)',
      '  offsite:  nothing recorded yet',
      '  ALERT no backup yet',
    ]);
  });

  it('shows the newest backup, a good drill and every offsite target', () => {
    const status: BackupStatus = {
      lastBackup: {
        name: 'parley-20261122T023000Z.tar.gz.gpg',
        at: '2026-11-22T02:30:00.000Z',
        bytes: 13_002_342,
      },
      backups: 5,
      lastDrill: {
        at: '2026-11-20T04:00:00.000Z',
        backup: 'parley-20261120T023000Z.tar.gz.gpg',
        ok: true,
        tables: 24,
        rows: 12_345,
        files: 1,
      },
      offsite: {
        at: '2026-11-22T02:31:00.000Z',
        backup: 'parley-20261122T023000Z.tar.gz.gpg',
        targets: [
          { target: 's3:backups/parley', ok: true, attempts: 1 },
          { target: 'sftp:vault', ok: false, attempts: 5, error: 'connect ECONNREFUSED' },
        ],
      },
      alerts: [
        'offsite sftp:vault: copy of parley-20261122T023000Z.tar.gz.gpg failed after 5 attempts (connect ECONNREFUSED)',
      ],
    };
    expect(formatBackupStatus(status, now)).toEqual([
      'Backups:',
      '  newest:   parley-20261122T023000Z.tar.gz.gpg, 9 h ago, 12.4 MiB (5 kept)',
      '  drill:    OK 2 d ago (2026-11-20T04:00:00.000Z), parley-20261120T023000Z.tar.gz.gpg: 24 tables, ' +
        '12,345 rows and 1 file match its manifest; signature and checksums good',
      '  offsite:  copies of parley-20261122T023000Z.tar.gz.gpg (9 h ago):',
      '    s3:backups/parley  copied and verified (1 attempt)',
      '    sftp:vault         FAILED after 5 attempts: connect ECONNREFUSED',
      '  ALERT offsite sftp:vault: copy of parley-20261122T023000Z.tar.gz.gpg failed after 5 attempts (connect ECONNREFUSED)',
    ]);
  });

  it('shows a failed drill and a site with no offsite target', () => {
    const lines = formatBackupStatus(
      {
        ...empty,
        lastDrill: {
          at: '2026-11-22T11:58:30.000Z',
          backup: 'parley-20261122T023000Z.tar.gz.gpg',
          ok: false,
          error: 'backup refused: the signature does not verify; nothing was changed',
        },
        offsite: { at: '2026-11-22T02:31:00.000Z', backup: 'x', targets: [] },
      },
      now,
    );
    expect(lines[2]).toBe(
      '  drill:    FAILED 1 min ago (2026-11-22T11:58:30.000Z), parley-20261122T023000Z.tar.gz.gpg: ' +
        'backup refused: the signature does not verify; nothing was changed',
    );
    expect(lines[3]).toBe('  offsite:  no target configured');
  });

  it('writes ages and sizes the short way', () => {
    expect(age('2026-11-22T11:59:40Z', now)).toBe('just now');
    expect(age('2026-11-22T11:15:00Z', now)).toBe('45 min ago');
    expect(age('2026-11-20T13:00:00Z', now)).toBe('47 h ago');
    expect(age('2026-11-12T12:00:00Z', now)).toBe('10 d ago');
    expect(age('not a time', now)).toBe('at an unknown time');
    expect(size(512)).toBe('512 B');
    expect(size(2048)).toBe('2.0 KiB');
    expect(size(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});

describe('ops/backupStatus.ts, run as `make backup-status` runs it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-backup-status-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]): Promise<{ code: number; stdout: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['ops/backupStatus.ts', ...args],
        {
          cwd: repoRoot,
          env: { PATH: process.env.PATH ?? '', ...devEnv(), PARLEY_BACKUP_DIR: dir },
          timeout: 30_000,
        },
        (error, stdout) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout });
        },
      );
    });

  it(`exits ${ALERT_EXIT} while there is an alert, 0 once the backups are in order`, async () => {
    const before = await run();
    expect(before.code).toBe(ALERT_EXIT);
    expect(before.stdout).toContain(`Backups (${dir}):`);
    expect(before.stdout).toContain('  ALERT no backup yet');

    writeFileSync(join(dir, 'parley-20261122T023000Z.tar.gz.gpg'), Buffer.alloc(3000));
    writeFileSync(
      join(dir, 'drill-status.json'),
      JSON.stringify({ at: new Date().toISOString(), backup: 'x', ok: true, tables: 3 }),
    );
    const after = await run();
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('  newest:   parley-20261122T023000Z.tar.gz.gpg, ');
    expect(after.stdout).toContain(', 2.9 KiB (1 kept)');
    expect(after.stdout).toContain('  drill:    OK just now');
    expect(after.stdout).not.toContain('ALERT');

    const json = await run('--json');
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as BackupStatus).backups).toBe(1);
  });
});
