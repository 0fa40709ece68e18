// Admin › Departments sets what the widget offers (issue 14): only departments.manage may, each
// change is audited, and the widget learns ids and visitor-facing names, nothing else.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { WIDGET_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, visitorToken, type TestParley } from '../harness/parley.ts';
import { auditEntries, signedIn } from '../accounts/helpers.ts';

let t: TestParley;
let db: Db;
let cards: number;
let loans: number;

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
  cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  loans = Number((await db('departments').insert({ name: 'Retail lending' }))[0]);
});

const offerRow = (id: number) =>
  db('departments').where({ id }).first('visitor_name', 'offered') as Promise<{
    visitor_name: string | null;
    offered: number;
  }>;

describe('Admin › Departments: what visitors are offered', () => {
  it('lets departments.manage set the visitor name and the offered flag, audited', async () => {
    const admin = await signedIn(t, db, { role: 'admin' });
    const listed = await admin.api.get('/api/departments/offers').expect(200);
    expect(listed.body.departments).toEqual([
      { id: cards, name: 'Cards', visitorName: null, offered: false },
      { id: loans, name: 'Retail lending', visitorName: null, offered: false },
    ]);
    const saved = await admin.api
      .put(`/api/departments/${loans}/offer`, { visitorName: '  Loans ', offered: true })
      .expect(200);
    expect(saved.body.department).toEqual({
      id: loans,
      name: 'Retail lending',
      visitorName: 'Loans',
      offered: true,
    });
    expect(await offerRow(loans)).toEqual({ visitor_name: 'Loans', offered: 1 });
    const entries = await auditEntries(db, 'department.update');
    expect(entries).toEqual([
      {
        action: 'department.update',
        outcome: 'success',
        target_kind: 'department',
        target_id: String(loans),
        actor_id: admin.agent.id,
        details: {
          changes: {
            visitor_name: { from: null, to: 'Loans' },
            offered: { from: false, to: true },
          },
        },
      },
    ]);
    // The same settings again change nothing and record nothing; an empty name means "none".
    await admin.api
      .put(`/api/departments/${loans}/offer`, { visitorName: 'Loans', offered: true })
      .expect(200);
    expect(await auditEntries(db, 'department.update')).toHaveLength(1);
    await admin.api
      .put(`/api/departments/${loans}/offer`, { visitorName: '', offered: true })
      .expect(200);
    expect(await offerRow(loans)).toEqual({ visitor_name: null, offered: 1 });
  });

  it('refuses agents without departments.manage, strangers and other origins, and changes nothing', async () => {
    const agent = await signedIn(t, db, { role: 'agent' });
    for (const res of [
      await agent.api.get('/api/departments/offers'),
      await agent.api.put(`/api/departments/${cards}/offer`, { visitorName: 'X', offered: true }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error.id).toBe('forbidden');
    }
    const stranger = await t
      .http()
      .put(`/api/departments/${cards}/offer`)
      .send({ visitorName: 'X', offered: true });
    expect(stranger.status).toBe(401);
    const admin = await signedIn(t, db, { role: 'admin' });
    const elsewhere = await t
      .http()
      .put(`/api/departments/${cards}/offer`)
      .set('Cookie', admin.cookie)
      .set('Origin', WIDGET_ORIGIN)
      .send({ visitorName: 'X', offered: true });
    expect(elsewhere.status).toBe(403);
    expect(await offerRow(cards)).toEqual({ visitor_name: null, offered: 0 });
    expect(await auditEntries(db, 'department.update')).toEqual([]);
  });

  it('answers bad input and unknown departments with a message to act on', async () => {
    const admin = await signedIn(t, db, { role: 'admin' });
    const tooLong = await admin.api
      .put(`/api/departments/${cards}/offer`, { visitorName: 'x'.repeat(101), offered: true })
      .expect(400);
    expect(tooLong.body.error).toMatchObject({ id: 'invalid_input' });
    expect(tooLong.body.error.message).toMatch(/at most 100 characters/);
    await admin.api
      .put(`/api/departments/${cards}/offer`, { visitorName: null, offered: true, name: 'x' })
      .expect(400);
    await admin.api.put(`/api/departments/${cards}/offer`, { visitorName: null }).expect(400);
    const missing = await admin.api
      .put(`/api/departments/${loans + 100}/offer`, { visitorName: null, offered: true })
      .expect(404);
    expect(missing.body.error.id).toBe('not_found');
  });
});

describe('the widget learns the offered departments', () => {
  it('gives a visitor the ids and visitor-facing names of the offered ones, by that name', async () => {
    const fraud = Number((await db('departments').insert({ name: 'Fraud' }))[0]);
    await db('departments').whereIn('id', [cards, loans]).update({ offered: true });
    await db('departments').where({ id: loans }).update({ visitor_name: 'Borrowing' });
    const token = await visitorToken(t);
    const res = await t
      .http()
      .get('/api/visitor/departments')
      .set('Origin', WIDGET_ORIGIN)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(WIDGET_ORIGIN);
    // Nothing else leaks: no internal name of a renamed department, no department not offered.
    expect(res.body).toEqual({
      departments: [
        { id: loans, name: 'Borrowing' },
        { id: cards, name: 'Cards' },
      ],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/Retail lending|Fraud/);
    expect(res.body.departments.map((d: { id: number }) => d.id)).not.toContain(fraud);
  });

  it('refuses a request without a valid visitor token, even from a signed-in agent', async () => {
    const admin = await signedIn(t, db, { role: 'admin' });
    for (const res of [
      await t.http().get('/api/visitor/departments').set('Origin', WIDGET_ORIGIN),
      await admin.api.get('/api/visitor/departments'),
      await t
        .http()
        .get('/api/visitor/departments')
        .set('Origin', WIDGET_ORIGIN)
        .set('Authorization', 'Bearer not-a-token'),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.id).toBe('unauthenticated');
    }
  });
});
