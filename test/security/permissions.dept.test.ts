// The permission matrix for departments offered to visitors (issue 14): the admin's offer settings
// need departments.manage, the widget's list needs a visitor token, and a chat started in a
// department reaches only the agents whose chats.accept covers that department.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN, WIDGET_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent, createRole, type RoleGrant } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  startTestParley,
  visitorToken,
  type TestParley,
} from '../harness/parley.ts';

let t: TestParley;
let db: Db;
let cards: number;
let loans: number;

const role = (name: string, grants: RoleGrant[]) => createRole(db, name, grants);

async function cookieOf(roleName: string, departments: number[] = []) {
  const { agent, password } = await createAgent(db, { role: roleName as 'agent' });
  for (const id of departments)
    await db('agent_departments').insert({ agent_id: agent.id, department_id: id });
  return signIn(t, agent.email, password);
}

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
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  cards = Number((await db('departments').insert({ name: 'Cards', offered: true }))[0]);
  loans = Number((await db('departments').insert({ name: 'Loans', offered: true }))[0]);
});

describe('departments.manage gates the offer settings', () => {
  it('allows it granted for all or scoped to a department, denies every other permission', async () => {
    await role('organiser', [{ permission: 'departments.manage' }]);
    await role('cards_organiser', [{ permission: 'departments.manage', ids: [cards] }]);
    await role('agent_admin', [{ permission: 'agents.manage' }, { permission: 'chats.accept' }]);
    const put = (cookie: string, id: number) =>
      t
        .http()
        .put(`/api/departments/${id}/offer`)
        .set('Cookie', cookie)
        .set('Origin', TEST_ORIGIN)
        .send({ visitorName: 'Borrowing', offered: true });
    const get = (cookie: string) => t.http().get('/api/departments/offers').set('Cookie', cookie);

    const organiser = await cookieOf('organiser');
    expect((await get(organiser)).status).toBe(200);
    expect((await put(organiser, loans)).status).toBe(200);
    // Departments are organisation-wide settings: a department-scoped grant still holds the permission.
    const scoped = await cookieOf('cards_organiser', [cards]);
    expect((await put(scoped, cards)).status).toBe(200);
    const agentAdmin = await cookieOf('agent_admin', [cards, loans]);
    for (const res of [await get(agentAdmin), await put(agentAdmin, loans)]) {
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ id: 'forbidden' });
    }
    const plain = await cookieOf('agent', [loans]);
    expect((await put(plain, loans)).status).toBe(403);
  });

  it('answers the widget list only with a visitor token, never an agent session', async () => {
    const admin = await cookieOf('admin');
    const list = (auth: { cookie?: string; bearer?: string }) => {
      const req = t.http().get('/api/visitor/departments').set('Origin', WIDGET_ORIGIN);
      if (auth.cookie) void req.set('Cookie', auth.cookie);
      if (auth.bearer) void req.set('Authorization', `Bearer ${auth.bearer}`);
      return req;
    };
    expect((await list({ bearer: await visitorToken(t) })).status).toBe(200);
    expect((await list({ cookie: admin })).status).toBe(401);
    expect((await list({})).status).toBe(401);
  });
});

describe('a chat started in a department, across departments', () => {
  it('reaches only the agents whose chats.accept covers its department', async () => {
    await role('cards_desk', [{ permission: 'chats.accept', ids: [cards] }]);
    await role('loans_desk', [{ permission: 'chats.accept', ids: [loans] }]);
    const cardsDesk = connectAgent(t.url, await cookieOf('cards_desk', [cards]));
    const loansDesk = connectAgent(t.url, await cookieOf('loans_desk', [loans]));
    const visitor = connectVisitor(t.url, await visitorToken(t));
    try {
      await Promise.all([connected(cardsDesk), connected(loansDesk), connected(visitor)]);
      const started = await visitor.emitWithAck('chat:start', { departmentId: loans });
      if (!started.ok) throw new Error(started.error.message);
      const chatId = started.chat.id;

      expect(await cardsDesk.emitWithAck('queue:list', {})).toEqual({ ok: true, queue: [] });
      expect(await cardsDesk.emitWithAck('chat:accept', { chatId })).toMatchObject({
        ok: false,
        error: { id: 'chat_not_found' },
      });
      expect(await loansDesk.emitWithAck('queue:list', {})).toMatchObject({
        ok: true,
        queue: [{ chatId, departmentId: loans, departmentName: 'Loans' }],
      });
      expect(await loansDesk.emitWithAck('chat:accept', { chatId })).toMatchObject({ ok: true });
    } finally {
      cardsDesk.disconnect();
      loansDesk.disconnect();
      visitor.disconnect();
    }
  });
});
