import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../app/domain/audit/auditLog.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_DB, devEnv, repoRoot } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { auditTampering } from './tampering.ts';

// `make audit-verify` runs ops/auditVerify.ts with the checkout's env file; here the env file
// points at the test database, and the command runs as its own process.

let db: Db;
let dir: string;
let envFile: string;

beforeAll(() => {
  db = testDb();
  dir = mkdtempSync(join(tmpdir(), 'parley-audit-verify-'));
  envFile = join(dir, 'parley.env');
  const env = { ...devEnv(), PARLEY_DB_NAME: TEST_DB, PARLEY_LOG_LEVEL: 'silent' };
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
  );
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db.destroy();
});
beforeEach(() => truncateAll(db));

function auditVerify(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--env-file=${envFile}`, 'ops/auditVerify.ts'],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function fill(count: number): Promise<void> {
  const log = auditLog(db);
  for (let i = 1; i <= count; i += 1) {
    await log.record({
      actor: { kind: 'agent', id: 1, label: 'admin@example.test' },
      action: 'agent.update',
      outcome: 'success',
      target: { kind: 'agent', id: i },
      details: { name: [`Old ${i}`, `New ${i}`] },
    });
  }
}

describe('make audit-verify', () => {
  it('says the log is intact, with the number of entries, and exits 0', async () => {
    await fill(4);
    expect(await auditVerify()).toEqual({
      code: 0,
      stdout: 'audit log intact: 4 entries\n',
      stderr: '',
    });
  });

  it('names an entry whose details were changed in the database, and exits 1', async () => {
    await fill(4);
    await auditTampering(db).editDetails(3);
    const result = await auditVerify();
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'audit log NOT intact: entry 3 was altered\n' +
        '  first bad entry: 3 (altered); 2 entries before it are intact\n',
    );
  });

  it('names a deleted entry, and exits 1', async () => {
    await fill(4);
    await auditTampering(db).remove(2);
    const result = await auditVerify();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('audit log NOT intact: entry 2 was removed\n');
  });

  it('names the newest entry when it was deleted, and exits 1', async () => {
    await fill(4);
    await auditTampering(db).remove(4);
    const result = await auditVerify();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('audit log NOT intact: entry 4 (the newest) was removed\n');
  });

  it('names entries whose contents were swapped, and exits 1', async () => {
    await fill(4);
    await auditTampering(db).swap(2, 3);
    const result = await auditVerify();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'audit log NOT intact: entry 2 holds what was written as entry 3: entries were reordered\n',
    );
  });

  it('says an empty log is intact', async () => {
    expect((await auditVerify()).stdout).toBe('audit log intact: 0 entries\n');
  });
});
