import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { detailsText } from '../../app/domain/audit/chain.ts';
import { verifyChain } from '../../app/domain/audit/verifyChain.ts';
import type { Db } from '../../app/storage/db.ts';
import { runDataRetention } from '../../backup/retention/dataRetention.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';

let t: TestParley;
let db: Db;
let admin: string;
let plain: string;
const now = new Date('2026-11-21T12:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * 86400_000);

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  const a = await createAgent(db, { role: 'admin' });
  const p = await createAgent(db, { role: 'agent' });
  admin = await signIn(t, a.agent.email, a.password);
  plain = await signIn(t, p.agent.email, p.password);
});

async function oldChat(visitorId: string): Promise<number> {
  await db('visitors').insert({
    id: visitorId,
    last_seen_at: daysAgo(400),
    created_at: daysAgo(400),
  });
  const [id] = await db('chats').insert({
    visitor_id: visitorId,
    status: 'ended',
    created_at: daysAgo(401),
    ended_at: daysAgo(400),
  });
  return Number(id);
}

const put = (cookie: string, path: string, body: unknown) =>
  t
    .http()
    .put(path)
    .set('Cookie', cookie)
    .set('Origin', TEST_ORIGIN)
    .send(body as object);

const V1 = '00000000-0000-4000-8000-000000000001';
const V2 = '00000000-0000-4000-8000-000000000002';
const V3 = '00000000-0000-4000-8000-000000000003';

describe('legal holds (issue 7)', () => {
  it('keeps a held chat from data retention while an unheld one of the same age goes, and audits it', async () => {
    const held = await oldChat(V1);
    const unheld = await oldChat(V2);
    const res = await put(admin, `/api/chats/${held}/legal-hold`, {
      hold: true,
      reason: 'Case 2026-114',
    }).expect(200);
    expect(res.body).toMatchObject({ kind: 'chat', id: String(held), reason: 'Case 2026-114' });

    const list = await t.http().get('/api/legal-holds').set('Cookie', admin).expect(200);
    expect(list.body.holds.map((h: { kind: string; id: string }) => `${h.kind}:${h.id}`)).toEqual([
      `chat:${held}`,
    ]);

    const counts = await runDataRetention(
      db,
      { chatDays: 30, visitorDays: 0, batch: 10, now: () => now },
      () => Promise.resolve(),
    );
    expect(counts.chats).toBe(1);
    expect(await db('chats').pluck('id')).toEqual([held]);
    expect(unheld).not.toBe(held);

    const entry = await db('audit_events').where({ action: 'legal_hold.set' }).first();
    expect(entry).toMatchObject({ target_kind: 'chat', target_id: String(held) });
    expect(detailsText(entry.details)).toBe('{"reason":"Case 2026-114"}');

    // Cleared: it is deleted on the next run.
    await put(admin, `/api/chats/${held}/legal-hold`, {
      hold: false,
      reason: 'Case closed',
    }).expect(200);
    expect(
      await db('audit_events').where({ action: 'legal_hold.clear' }).count({ n: '*' }),
    ).toEqual([{ n: 1 }]);
    await runDataRetention(db, { chatDays: 30, visitorDays: 0, batch: 10, now: () => now }, () =>
      Promise.resolve(),
    );
    expect(await db('chats').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect((await verifyChain(db)).ok).toBe(true);
  });

  it('holds a visitor, which keeps their chats and the visitor record', async () => {
    const chat = await oldChat(V3);
    await put(admin, `/api/visitors/${V3}/legal-hold`, { hold: true, reason: 'Subpoena' }).expect(
      200,
    );
    await runDataRetention(db, { chatDays: 30, visitorDays: 30, batch: 10, now: () => now }, () =>
      Promise.resolve(),
    );
    expect(await db('chats').pluck('id')).toEqual([chat]);
    expect(await db('visitors').pluck('id')).toEqual([V3]);
    const list = await t.http().get('/api/legal-holds').set('Cookie', admin).expect(200);
    expect(list.body.holds).toEqual([
      expect.objectContaining({
        kind: 'visitor',
        id: V3,
        reason: 'Subpoena',
        by: expect.any(Number),
      }),
    ]);
  });

  it("tells whether one chat is held, names who placed it, and shows its visitor's hold only to a grant over everything", async () => {
    const [sales] = await db('departments').insert({ name: 'Sales' });
    const chat = await oldChat(V1);
    await db('chats').where({ id: chat }).update({ department_id: sales, visitor_name: 'Ada' });
    const other = await oldChat(V2);
    const scoped = await createAgent(db, { role: 'agent', name: 'Sam Scoped' });
    await db('permission_grants').insert({
      permission: 'transcripts.delete',
      agent_id: scoped.agent.id,
      scope: 'departments',
      scope_ids: JSON.stringify([sales]),
    });
    const sam = await signIn(t, scoped.agent.email, scoped.password);
    const get = (cookie: string, id: number) =>
      t.http().get(`/api/chats/${id}/legal-hold`).set('Cookie', cookie);

    expect((await get(admin, chat).expect(200)).body).toEqual({ hold: null, visitorHold: null });
    await put(sam, `/api/chats/${chat}/legal-hold`, { hold: true, reason: 'Case 7' }).expect(200);
    await put(admin, `/api/visitors/${V1}/legal-hold`, { hold: true, reason: 'Subpoena' }).expect(
      200,
    );

    const full = (await get(admin, chat).expect(200)).body;
    expect(full.hold).toMatchObject({
      kind: 'chat',
      id: String(chat),
      departmentId: sales,
      visitorName: 'Ada',
      reason: 'Case 7',
      by: scoped.agent.id,
      byName: 'Sam Scoped',
    });
    expect(full.visitorHold).toMatchObject({ kind: 'visitor', id: V1, reason: 'Subpoena' });
    expect(typeof full.visitorHold.byName).toBe('string');

    // Department-scoped: this chat's hold, never the visitor's, and not other departments' chats.
    expect((await get(sam, chat).expect(200)).body).toMatchObject({
      hold: { reason: 'Case 7' },
      visitorHold: null,
    });
    await get(sam, other).expect(403);
    await get(plain, chat).expect(403);
    await get(admin, other + 99).expect(404);
    await t.http().get('/api/chats/abc/legal-hold').set('Cookie', admin).expect(400);

    const list = await t.http().get('/api/legal-holds').set('Cookie', sam).expect(200);
    expect(list.body.holds).toEqual([
      expect.objectContaining({ kind: 'chat', byName: 'Sam Scoped', visitorName: 'Ada' }),
    ]);
  });

  it('is 403 without transcripts.delete', async () => {
    const chat = await oldChat(V1);
    await put(plain, `/api/chats/${chat}/legal-hold`, { hold: true, reason: 'x' }).expect(403);
    await put(plain, `/api/visitors/${V1}/legal-hold`, { hold: true, reason: 'x' }).expect(403);
    await t.http().get('/api/legal-holds').set('Cookie', plain).expect(403);
    expect(await db('chats').where({ legal_hold: 1 }).count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('is 400 on bad bodies and ids, 404 on unknown ones', async () => {
    const chat = await oldChat(V1);
    for (const body of [
      {},
      { hold: true },
      { hold: 'yes', reason: 'x' },
      { hold: true, reason: '' },
      { hold: true, reason: '   ' },
      { hold: true, reason: 'x'.repeat(501) },
      { hold: true, reason: 'x', extra: 1 },
    ]) {
      await put(admin, `/api/chats/${chat}/legal-hold`, body).expect(400);
    }
    await put(admin, '/api/chats/abc/legal-hold', { hold: true, reason: 'x' }).expect(400);
    await put(admin, '/api/visitors/not-a-uuid/legal-hold', { hold: true, reason: 'x' }).expect(
      400,
    );
    await put(admin, `/api/chats/${chat + 99}/legal-hold`, { hold: true, reason: 'x' }).expect(404);
    await put(admin, `/api/visitors/${V2}/legal-hold`, { hold: true, reason: 'x' }).expect(404);
    await t
      .http()
      .put(`/api/chats/${chat}/legal-hold`)
      .set('Cookie', admin)
      .set('Origin', 'https://evil.example')
      .send({ hold: true, reason: 'x' })
      .expect(403);
    expect(await db('chats').where({ legal_hold: 1 }).count({ n: '*' })).toEqual([{ n: 0 }]);
  });
});
