import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_CONDITIONS } from '../../app/domain/monitoring/alerts.ts';
import { backupName } from '../../app/storage/backupStatus.ts';
import { ALERT_EXIT } from '../../ops/backupStatus.ts';
import { TEST_DB, devEnv, repoRoot } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { freePort } from '../files/privateClamd.ts';

// Issue 15: `make status` natively (ops/status.ts) evaluates the alert conditions against the real
// database, clamd and folders, one line each, and exits 3 when one fires.

const backupDir = mkdtempSync(join(tmpdir(), 'parley-status-backups-'));
beforeAll(async () => {
  const db = testDb();
  await truncateAll(db); // no audited backup run left by another test file
  await db.destroy();
});
afterAll(() => rmSync(backupDir, { recursive: true, force: true }));

function status(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['ops/status.ts'],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH ?? '',
          ...devEnv(),
          PARLEY_DB_NAME: TEST_DB,
          PARLEY_BACKUP_DIR: backupDir,
          PARLEY_CLAMD_TIMEOUT_MS: '1000',
          ...env,
        },
        timeout: 30_000,
      },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout });
      },
    );
  });
}

describe('ops/status.ts, run as `make status` runs it', () => {
  it(`says what to do about a stopped clamd and exits ${ALERT_EXIT}`, async () => {
    writeFileSync(join(backupDir, backupName(new Date())), 'x');
    const { code, stdout } = await status({ PARLEY_CLAMD_PORT: String(await freePort()) });
    expect(code).toBe(ALERT_EXIT);
    const lines = stdout.trim().split('\n').slice(1);
    expect(lines).toHaveLength(ALERT_CONDITIONS.length);
    expect(lines).toContain(
      '  ALERT  clamd does not answer: file uploads are refused until it is back. Check `make logs SERVICE=clamav` (natively `make dev-status`).',
    );
    expect(stdout).toMatch(/^ {2}ALERT {2}Parley is not ready: .* \(database up, clamd DOWN\)$/m);
    expect(lines).toContain('  OK     newest backup (at most 26 h old)');
    expect(lines).toContain('  OK     database role (writable, or a replicating standby)');
    expect(lines.filter((line) => line.startsWith('  ALERT'))).toHaveLength(2);
  });

  it('prints OK for every condition and exits 0 once all is well', async () => {
    const { code, stdout } = await status({});
    const lines = stdout.trim().split('\n').slice(1);
    expect(lines.filter((line) => !line.startsWith('  OK     '))).toEqual([]);
    expect(lines).toHaveLength(ALERT_CONDITIONS.length);
    expect(code).toBe(0);
  });

  it('names a missing backup in words', async () => {
    rmSync(join(backupDir), { recursive: true, force: true });
    const { code, stdout } = await status({});
    expect(code).toBe(ALERT_EXIT);
    expect(stdout).toContain('  ALERT  No backup in the last 26 hours (or none at all): ');
    expect(stdout).toContain('(none yet)');
  });
});
