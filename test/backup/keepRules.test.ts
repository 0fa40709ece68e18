import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneDirectory, selectKept } from '../../backup/retention/keepRules.ts';
import { backupName } from '../../app/storage/backupStatus.ts';

// Every 6 hours for 400 days, the newest on Saturday 2026-11-21 at 18:00 UTC.
const newest = Date.parse('2026-11-21T18:00:00Z');
const times = Array.from({ length: 400 * 4 }, (_, i) => new Date(newest - i * 6 * 3600_000));
const rules = { last: 3, daily: 7, weekly: 4, monthly: 6, yearly: 2 };
const expected = [
  '2026-11-21T18',
  '2026-11-21T12',
  '2026-11-21T06', // last 3
  '2026-11-20T18',
  '2026-11-19T18',
  '2026-11-18T18',
  '2026-11-17T18',
  '2026-11-16T18',
  '2026-11-15T18', // daily
  '2026-11-08T18',
  '2026-11-01T18', // weekly (ISO weeks end on Sunday)
  '2026-10-31T18',
  '2026-09-30T18',
  '2026-08-31T18',
  '2026-07-31T18',
  '2026-06-30T18', // monthly
  '2025-12-31T18', // yearly
];

describe('backup keep rules (restic semantics)', () => {
  it('keeps exactly the newest backup of each period, ORed across rules', () => {
    const kept = [...selectKept(times, rules)].sort((a, b) => b - a);
    expect(kept.map((t) => new Date(t).toISOString().slice(0, 13))).toEqual(expected);
  });

  it('always keeps the newest backup, even when every rule is 0', () => {
    const kept = selectKept(times, { last: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 });
    expect([...kept]).toEqual([newest]);
  });

  it('prunes a folder, and with dry-run only lists what it would delete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-keep-'));
    const some = times.slice(0, 40);
    for (const t of some) {
      writeFileSync(join(dir, backupName(t)), 'x');
      writeFileSync(join(dir, `${backupName(t)}.sha256`), 'x');
    }
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    const small = { last: 2, daily: 3, weekly: 0, monthly: 0, yearly: 0 };
    const dry = await pruneDirectory(dir, small, true);
    expect(dry.kept).toHaveLength(4); // 21T18, 21T12, 20T18, 19T18
    expect(dry.deleted).toHaveLength(36);
    expect(readdirSync(dir)).toHaveLength(81);
    const real = await pruneDirectory(dir, small);
    expect(real).toEqual(dry);
    expect(readdirSync(dir).sort()).toEqual(
      [...dry.kept.flatMap((n) => [n, `${n}.sha256`]), 'unrelated.txt'].sort(),
    );
  });
});
