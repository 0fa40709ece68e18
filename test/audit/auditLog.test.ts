import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, type AuditEntry, type AuditRow } from '../../app/domain/audit/auditLog.ts';
import { auditRowQuery as auditRows } from '../../app/storage/auditEvents.ts';
import { canonicalDetails, isSecretKey } from '../../app/domain/audit/chain.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { auditTampering } from './tampering.ts';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());
beforeEach(() => truncateAll(db));

const entry = (i: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: { kind: 'agent', id: 7, label: 'ann@example.test' },
  action: 'test.write',
  outcome: 'success',
  target: { kind: 'chat', id: i },
  ip: '203.0.113.9',
  userAgent: 'vitest',
  details: { i },
  ...extra,
});

const stored = async (): Promise<AuditRow[]> => auditRows(db).orderBy('id');

describe('the audit writer', () => {
  it('stores exactly what it hashed: milliseconds, details text, unicode cut at a character', async () => {
    const at = new Date('2026-11-22T10:11:12.999Z');
    const log = auditLog(db, { now: () => at });
    const label = `${'é'.repeat(253)}🙂🙂`; // 254 characters fit: one emoji, whole
    const written = await log.record(
      entry(1, {
        actor: { kind: 'agent', id: 7, label },
        userAgent: `broken \ud800 surrogate`,
        details: { z: 1, a: { y: 2, b: [3, 'x'] }, when: at, big: 12n },
      }),
    );
    const [row] = await stored();
    expect(row).toEqual(written);
    expect(row!.at.toISOString()).toBe('2026-11-22T10:11:12.999Z');
    expect(row!.actor_label).toBe(`${'é'.repeat(253)}🙂`);
    expect(row!.user_agent).toBe('broken \ufffd surrogate');
    expect(row!.details).toBe(
      '{"a":{"b":[3,"x"],"y":2},"big":"12","when":"2026-11-22T10:11:12.999Z","z":1}',
    );
    expect(await log.verify()).toEqual({ ok: true, checked: 1 });
  });

  it('never writes a secret, and keeps keys that only look alike', () => {
    const text = canonicalDetails({
      password: 'p',
      newPassword: 'p',
      password_hash: 'h',
      sessionId: 's',
      apiToken: 't',
      totpSecret: 'x',
      recoveryCodes: ['a'],
      pan: '4111',
      nested: { cookie: 'c', kept: 1 },
      list: [{ secret: 1, name: 'n' }],
      company: 'ACME',
      sessions: 2,
      expand: true,
    });
    expect(JSON.parse(text!)).toEqual({
      nested: { kept: 1 },
      list: [{ name: 'n' }],
      company: 'ACME',
      sessions: 2,
      expand: true,
    });
    expect(isSecretKey('Password')).toBe(true);
    expect(isSecretKey('department')).toBe(false);
  });

  it('gives the same text for the same details whatever the key order', () => {
    expect(canonicalDetails({ b: 1, a: { d: 1, c: 2 } })).toBe(
      canonicalDetails({ a: { c: 2, d: 1 }, b: 1 }),
    );
    expect(canonicalDetails(undefined)).toBeNull();
  });

  it('keeps one valid chain with 50 concurrent writes from two processes (two pools)', async () => {
    const other = testDb();
    try {
      const logs = [auditLog(db), auditLog(other)];
      const rows = await Promise.all(
        Array.from({ length: 50 }, (_, i) => logs[i % 2]!.record(entry(i))),
      );
      expect(rows.map((row) => row.id).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      expect(await logs[0]!.verify()).toEqual({ ok: true, checked: 50 });
    } finally {
      await other.destroy();
    }
  });

  it('keeps the chain valid when writes share callers’ transactions and some roll back', async () => {
    const forwarded: number[] = [];
    const log = auditLog(db, {
      sink: { send: (row) => forwarded.push(row.id), close: () => Promise.resolve() },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction(async (trx) => {
          await log.record(entry(i), trx);
          if (i % 4 === 0) throw new Error('rolled back');
        }),
      ),
    );
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(5);
    const rows = await stored();
    expect(rows.map((row) => row.id)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(rows.map((row) => (JSON.parse(row.details!) as { i: number }).i % 4)).not.toContain(0);
    await expect.poll(() => forwarded.length).toBe(15);
    expect([...forwarded].sort((a, b) => a - b)).toEqual(rows.map((row) => row.id));
    expect(await log.verify()).toEqual({ ok: true, checked: 15 });
  });

  it('rebuilds a missing chain head from the newest entry and says so', async () => {
    const log = auditLog(db);
    await log.record(entry(1));
    await db('audit_chain_head').delete();
    expect(await log.verify()).toMatchObject({ ok: false, kind: 'removed' });
    await log.record(entry(2));
    expect(await log.verify()).toEqual({ ok: true, checked: 2 });
  });
});

describe('verifying the chain', () => {
  const log = () => auditLog(db);
  const fill = async (count: number) => {
    for (let i = 1; i <= count; i += 1) await log().record(entry(i));
  };
  const tamper = () => auditTampering(db);

  it('finds an entry whose details were edited', async () => {
    await fill(5);
    await tamper().editDetails(3);
    expect(await log().verify()).toEqual({
      ok: false,
      checked: 2,
      id: 3,
      kind: 'altered',
      problem: 'entry 3 was altered',
    });
  });

  it('finds an entry that was edited and re-hashed, at the next link', async () => {
    await fill(5);
    await tamper().editAndRehash(3);
    expect(await log().verify()).toMatchObject({ ok: false, id: 4, kind: 'altered' });
  });

  it('finds a removed entry, in the middle and at the end', async () => {
    await fill(5);
    await tamper().remove(2);
    expect(await log().verify()).toEqual({
      ok: false,
      checked: 1,
      id: 2,
      kind: 'removed',
      problem: 'entry 2 was removed',
    });
    await truncateAll(db);
    await fill(5);
    await tamper().remove(4);
    await tamper().remove(5);
    expect(await log().verify()).toEqual({
      ok: false,
      checked: 3,
      id: 4,
      kind: 'removed',
      problem: 'entries 4–5 (the newest) were removed',
    });
  });

  it('finds two entries whose contents were swapped', async () => {
    await fill(6);
    await tamper().swap(2, 5);
    expect(await log().verify()).toEqual({
      ok: false,
      checked: 1,
      id: 2,
      kind: 'reordered',
      problem: 'entry 2 holds what was written as entry 5: entries were reordered',
    });
  });

  it('finds a chain head that was set back to hide the newest entries', async () => {
    await fill(3);
    const [first] = await stored();
    await db('audit_chain_head').update({ last_id: 1, last_hash: first!.hash });
    expect(await log().verify()).toEqual({
      ok: false,
      checked: 3,
      id: 1,
      kind: 'altered',
      problem: 'the chain head was set back to entry 1; the log goes on to entry 3',
    });
  });

  it('pages through a long chain', async () => {
    await fill(7);
    expect(await log().verify(2)).toEqual({ ok: true, checked: 7 });
    await tamper().editDetails(6);
    expect(await log().verify(2)).toMatchObject({ ok: false, id: 6, checked: 5 });
  });
});
