import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../app/domain/audit/auditLog.ts';
import { runAuditRetention } from '../../app/domain/audit/auditRetention.ts';
import { detailsText } from '../../app/domain/audit/chain.ts';
import { verifyChain } from '../../app/domain/audit/verifyChain.ts';
import type { Db } from '../../app/storage/db.ts';
import { workerJobs } from '../../backup/worker/jobs.ts';
import { testConfig } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { auditTampering } from './tampering.ts';

let db: Db;
const now = new Date('2026-11-21T12:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);

beforeAll(() => {
  db = testDb();
});
afterAll(async () => {
  await db.destroy();
});

/** 25 entries: ids 1–20 are 3,000 to 2,981 days old, ids 21–25 are 10 to 6 days old. */
beforeEach(async () => {
  await truncateAll(db);
  for (let i = 0; i < 25; i++) {
    const at = i < 20 ? daysAgo(3000 - i) : daysAgo(10 - (i - 20));
    await auditLog(db, { now: () => at }).record({
      actor: { kind: 'agent', id: 7, label: 'ann@example.test' },
      action: 'demo.entry',
      outcome: 'success',
      details: { n: i + 1 },
    });
  }
});

const retain = () =>
  runAuditRetention(db, auditLog(db, { now: () => now }), { days: 2555, batch: 6, now: () => now });

describe('audit-entry retention (issue 7)', () => {
  it('deletes the expired entries in batches, anchors the chain and records itself', async () => {
    const result = await retain();
    expect(result).toEqual({ deleted: 20, anchorId: 20, stoppedAt: null });
    expect(await db('audit_events').orderBy('id').pluck('id')).toEqual([21, 22, 23, 24, 25, 26]);
    const anchor = await db('audit_chain_anchor').first();
    expect(Number(anchor.anchor_id)).toBe(20);
    const entry = await db('audit_events').where({ id: 26 }).first();
    expect(entry.action).toBe('audit.retention');
    expect(JSON.parse(detailsText(entry.details)!)).toMatchObject({
      deleted: 20,
      anchorId: 20,
      days: 2555,
    });
    // What `make audit-verify` runs.
    expect(await verifyChain(db)).toEqual({ ok: true, checked: 6 });
    expect(await verifyChain(db, 2)).toEqual({ ok: true, checked: 6 });
    // A second run has nothing to delete and keeps the chain intact.
    expect((await retain()).deleted).toBe(0);
    expect((await verifyChain(db)).ok).toBe(true);
  });

  it('keeps everything with 0 days', async () => {
    const result = await runAuditRetention(db, auditLog(db), { days: 0, batch: 6, now: () => now });
    expect(result.deleted).toBe(0);
    expect(await db('audit_events').count({ n: '*' })).toEqual([{ n: 25 }]);
  });

  it('still detects an altered remaining entry', async () => {
    await retain();
    await auditTampering(db).editDetails(23);
    expect(await verifyChain(db)).toMatchObject({ ok: false, id: 23, kind: 'altered' });
  });

  it('still detects an altered and re-hashed remaining entry, the first after the anchor too', async () => {
    await retain();
    await auditTampering(db).editAndRehash(21);
    // As from genesis: the next entry no longer follows it.
    expect(await verifyChain(db)).toMatchObject({
      ok: false,
      id: 22,
      kind: 'altered',
      problem: expect.stringContaining('does not follow entry 21'),
    });
  });

  it('detects an old entry deleted beyond the anchor', async () => {
    await retain();
    await auditTampering(db).remove(21);
    expect(await verifyChain(db)).toMatchObject({ ok: false, id: 21, kind: 'removed' });
  });

  it('detects the anchor removed by hand', async () => {
    await retain();
    await db('audit_chain_anchor').delete();
    expect(await verifyChain(db)).toMatchObject({ ok: false, id: 1, kind: 'removed' });
  });

  it('stops at a tampered entry rather than delete the evidence', async () => {
    await auditTampering(db).editDetails(9);
    const result = await retain();
    expect(result).toEqual({ deleted: 8, anchorId: 8, stoppedAt: 9 });
    expect(await verifyChain(db)).toMatchObject({ ok: false, id: 9, kind: 'altered' });
    const entry = await db('audit_events').where({ action: 'audit.retention' }).first();
    expect(entry.outcome).toBe('failure');
  });

  it('is a worker job', async () => {
    const list = await workerJobs({ config: testConfig(), db, audit: auditLog(db) });
    expect(list.map((job) => job.name)).toContain('audit-retention');
  });
});
