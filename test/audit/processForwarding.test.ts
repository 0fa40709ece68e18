import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { keyPair } from '../backup/fixtures.ts';
import { devEnv, repoRoot, TEST_DB } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { udpSyslogCollector } from './syslogCollector.ts';

// Issue 13: the audit README says every committed entry is forwarded to PARLEY_AUDIT_SYSLOG, but
// the worker and the ops commands opened their audit log without the syslog sink, so backup,
// drill, retention and restore entries never reached the SIEM. Each runs here as its own process,
// as in production, against a real UDP collector.

let db: Db;
let collector: Awaited<ReturnType<typeof udpSyslogCollector>>;
let work: string;

beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());
beforeEach(async () => {
  await truncateAll(db);
  collector = await udpSyslogCollector();
  work = mkdtempSync(join(tmpdir(), 'parley-forwarding-'));
});
afterEach(() => collector.close());

/** The environment of a worker or ops process: the test database, a collector, no shared keys. */
function processEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...devEnv(),
    PARLEY_DB_NAME: TEST_DB,
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_AUDIT_SYSLOG: collector.address,
    PARLEY_BACKUP_DIR: join(work, 'backups'),
    PARLEY_BACKUP_RECIPIENTS_FILE: '',
    PARLEY_BACKUP_SIGNING_KEY_FILE: '',
    PARLEY_FILES_MASTER_KEY_FILE: '',
    PARLEY_FILES_DIR: join(work, 'files'),
    ...extra,
  };
}

function run(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: repoRoot, env, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** The committed entry a message names: the SIEM holds what the database holds. */
async function committed(entryId: number): Promise<{ action: string; outcome: string }> {
  const row: { action: string; outcome: string } = await db('audit_events')
    .where({ id: entryId })
    .first('action', 'outcome');
  return row;
}

describe('every process forwards its audit entries to syslog (issue 13)', () => {
  it('the worker: its data-retention and audit-retention runs reach the collector', async () => {
    const worker = spawn(process.execPath, ['backup/worker/worker.ts'], {
      cwd: repoRoot,
      env: processEnv({ PARLEY_RETENTION_CRON: '* * * * * *' }), // every second
      stdio: 'ignore',
    });
    try {
      const retention = await collector.waitFor('retention.run');
      expect(await committed(retention.entryId)).toEqual({
        action: 'retention.run',
        outcome: 'success',
      });
      const auditRetention = await collector.waitFor('audit.retention');
      expect((await committed(auditRetention.entryId)).action).toBe('audit.retention');
    } finally {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
    }
  });

  it('make backup, make backup-drill, make restore and make restore-confirm', async () => {
    const [it_, signer] = await Promise.all([keyPair('IT'), keyPair('appliance')]);
    mkdirSync(join(work, 'keys'));
    const file = (name: string, text: string) => {
      writeFileSync(join(work, 'keys', name), text, { mode: 0o600 });
      return join(work, 'keys', name);
    };
    const env = processEnv({
      PARLEY_BACKUP_RECIPIENTS_FILE: file('recipients.asc', it_.publicKey),
      PARLEY_BACKUP_SIGNING_KEY_FILE: file('signing.asc', signer.privateKey),
    });
    const itKey = file('it.key', it_.privateKey);

    const backup = await run('ops/backup.ts', [], env);
    expect(backup.code, backup.stderr).toBe(0);
    const created = await collector.waitFor('backup.create');
    expect(created.text).toContain('outcome="success"');

    const drill = await run('ops/backupDrill.ts', [], { ...env, KEY: itKey });
    expect(drill.code, drill.stdout + drill.stderr).toBe(0);
    expect((await collector.waitFor('backup.drill')).text).toContain('outcome="success"');

    const name = /backup written: (\S+)/.exec(backup.stdout)![1]!;
    const restore = await run('ops/restore.ts', [], { ...env, BACKUP: name, KEY: itKey });
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    const swapped = await collector.waitFor('restore.swap');
    expect(await committed(swapped.entryId)).toEqual({
      action: 'restore.swap',
      outcome: 'success',
    });
    const confirm = await run('ops/restore.ts', ['--confirm'], env);
    expect(confirm.code, confirm.stderr).toBe(0);
    await collector.waitFor('restore.confirm');
  });
});
