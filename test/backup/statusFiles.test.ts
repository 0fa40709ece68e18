import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupStatus } from '../../app/domain/backupStatus.ts';
import { repoRoot } from '../harness/config.ts';

// Issue 13: drill-status.json and offsite-status.json were written in place, so a write cut short
// (a crash, a full disk) left a truncated status that `make status` then read as no status at all.
// Here the child process may write no file larger than 64 bytes (prlimit --fsize, the kernel's
// limit: the write fails with EFBIG after 64 bytes, as it would on a full disk), and the status it
// writes is larger: the previous status must still be there, whole.

const LIMIT = 64;

function child(
  what: 'drill' | 'offsite',
  dir: string,
  limited: boolean,
): Promise<{ code: number; output: string }> {
  const node = [process.execPath, 'test/backup/statusWriterChild.ts', what, dir];
  const [command, ...args] = limited ? ['prlimit', `--fsize=${LIMIT}`, ...node] : node;
  return new Promise((resolve) => {
    execFile(
      command!,
      args,
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? -1) : 0, output: stdout + stderr }),
    );
  });
}

const previousDrill = {
  at: '2026-11-20T04:00:00.000Z',
  backup: 'parley-20261120T023000Z.tar.gz.gpg',
  ok: true,
  tables: 24,
  rows: 12345,
  files: 1,
};

describe('status files are replaced whole or not at all (issue 13)', () => {
  it('a drill whose status cannot be written in full leaves the last drill as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-drill-status-'));
    writeFileSync(join(dir, 'drill-status.json'), JSON.stringify(previousDrill, null, 2));

    const cut = await child('drill', dir, true);
    expect(cut.code, cut.output).not.toBe(0);
    expect(cut.output).toContain('EFBIG'); // the write was cut short
    expect((await backupStatus(dir)).lastDrill).toEqual(previousDrill);
    expect(readdirSync(dir)).toEqual(['drill-status.json']); // nothing half-written left behind

    const whole = await child('drill', dir, false);
    expect(whole.code, whole.output).toBe(0);
    expect((await backupStatus(dir)).lastDrill).toMatchObject({ ok: false, backup: null });
    expect(readdirSync(dir)).toEqual(['drill-status.json']);
  });

  it('an offsite round whose status cannot be written in full leaves the last one as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-offsite-status-'));
    const name = 'parley-20261122T023000Z.tar.gz.gpg';
    writeFileSync(join(dir, name), 'a backup'); // smaller than the limit: its copy succeeds
    const previous = {
      at: '2026-11-21T02:31:00.000Z',
      backup: 'parley-20261121T023000Z.tar.gz.gpg',
      results: [{ target: 'dir:/mnt/vault', ok: true, attempts: 1 }],
    };
    writeFileSync(join(dir, 'offsite-status.json'), JSON.stringify(previous, null, 2));

    const cut = await child('offsite', dir, true);
    expect(cut.code, cut.output).not.toBe(0);
    expect(cut.output).toContain('EFBIG');
    expect((await backupStatus(dir)).offsite).toEqual({
      at: previous.at,
      backup: previous.backup,
      targets: previous.results,
    });
    expect(readdirSync(dir).sort()).toEqual(['offsite', 'offsite-status.json', name].sort());

    const whole = await child('offsite', dir, false);
    expect(whole.code, whole.output).toBe(0);
    expect((await backupStatus(dir)).offsite).toMatchObject({
      backup: name,
      targets: [{ target: `dir:${join(dir, 'offsite')}`, ok: true }],
    });
  });
});
