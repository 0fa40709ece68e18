import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RoutingRulesResponse } from '../../app/shared/routing.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent, createRole, type RoleGrant } from '../harness/factories.ts';
import {
  connectAgent,
  connected,
  signIn,
  startTestParley,
  type AgentSocket,
  type TestParley,
} from '../harness/parley.ts';
import { setPresence, setRule, startChat, until } from '../routing/helpers.ts';

// Issue 14's routing permissions, allowed and denied, across departments: chats.refuse (refusing
// an offer) and routing_rules.manage (Admin › Routing).

let t: TestParley;
let db: Db;
let departmentA: number;
let departmentB: number;
const sockets: { disconnect(): unknown }[] = [];

const role = (name: string, grants: RoleGrant[]) => createRole(db, name, grants);

async function signedIn(roleName: string) {
  const { agent, password } = await createAgent(db, { role: roleName as 'agent' });
  const cookie = await signIn(t, agent.email, password);
  const socket: AgentSocket = connectAgent(t.url, cookie);
  sockets.push(socket);
  await connected(socket);
  return { agent, cookie, socket };
}

/** A chat of this department offered to the one online agent. */
async function offeredChat(departmentId: number, agentId: number): Promise<number> {
  await setPresence(db, agentId, 'online');
  await setRule(db, departmentId, 'round_robin');
  const { chatId } = await startChat(t, sockets);
  await db('chats').where({ id: chatId }).update({ department_id: departmentId });
  await t.parley.services.routing.route();
  await until(
    async () =>
      (await db('chat_offers').where({ chat_id: chatId }).whereNull('outcome')).length === 1,
    5000,
    'the offer',
  );
  return chatId;
}

const put = (cookie: string, path: string, body: object) =>
  t.http().put(path).set('Cookie', cookie).set('Origin', TEST_ORIGIN).send(body);
const rule = { mode: 'least_busy', offerTimeoutSeconds: 20, maxRefusals: 2, defaultCapacity: 4 };

beforeAll(async () => {
  db = testDb();
  t = await startTestParley();
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  departmentA = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  departmentB = Number((await db('departments').insert({ name: 'Loans' }))[0]);
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

describe('chats.refuse', () => {
  beforeEach(async () => {
    await role('refuse_a', [
      { permission: 'chats.accept' },
      { permission: 'chats.refuse', ids: [departmentA] },
    ]);
    await role('accept_only', [{ permission: 'chats.accept' }]);
  });

  it('allows refusing an offer of a chat in a department the grant covers', async () => {
    const { agent, socket } = await signedIn('refuse_a');
    const chatId = await offeredChat(departmentA, agent.id);
    expect(await socket.emitWithAck('chat:refuse', { chatId, reason: 'lunch' })).toEqual({
      ok: true,
    });
    expect(await db('chat_offers').where({ chat_id: chatId })).toMatchObject([
      { outcome: 'refused' },
    ]);
  });

  it('denies refusing an offer of a chat in another department', async () => {
    const { agent, socket } = await signedIn('refuse_a');
    const chatId = await offeredChat(departmentB, agent.id);
    expect(await socket.emitWithAck('chat:refuse', { chatId, reason: 'lunch' })).toMatchObject({
      ok: false,
      error: { id: 'forbidden' },
    });
    expect(await db('chat_offers').where({ chat_id: chatId })).toMatchObject([{ outcome: null }]);
  });

  it('denies refusing without the permission, even the agent’s own offer', async () => {
    const { agent, socket } = await signedIn('accept_only');
    const chatId = await offeredChat(departmentA, agent.id);
    expect(await socket.emitWithAck('chat:refuse', { chatId, reason: 'lunch' })).toMatchObject({
      ok: false,
      error: { id: 'forbidden' },
    });
    expect(await db('chat_offers').where({ chat_id: chatId })).toMatchObject([{ outcome: null }]);
  });
});

describe('routing_rules.manage', () => {
  beforeEach(async () => {
    await role('rules_a', [{ permission: 'routing_rules.manage', ids: [departmentA] }]);
    await role('no_rules', [{ permission: 'chats.accept' }]);
  });

  it('lets a department-scoped grant edit its departments’ rules only', async () => {
    const { cookie } = await signedIn('rules_a');
    const listed = await t.http().get('/api/routing-rules').set('Cookie', cookie).expect(200);
    expect((listed.body as RoutingRulesResponse).rules.map((r) => r.departmentId)).toEqual([
      departmentA,
    ]);
    await put(cookie, `/api/routing-rules/departments/${departmentA}`, rule).expect(200);
    expect(await db('routing_rules').where({ department_key: departmentA })).toMatchObject([
      { mode: 'least_busy', offer_timeout_seconds: 20, max_refusals: 2, default_capacity: 4 },
    ]);
    const audited = await db('audit_events').where({ action: 'routing_rule.update' });
    expect(audited).toMatchObject([{ target_id: String(departmentA), outcome: 'success' }]);
    await put(cookie, `/api/routing-rules/departments/${departmentB}`, rule).expect(403);
    await put(cookie, '/api/routing-rules/global', rule).expect(403);
    await put(cookie, '/api/routing-rules/agents/1/capacity', { maxChats: 2 }).expect(403);
    expect(await db('routing_rules').where({ department_key: departmentB })).toEqual([]);
  });

  it('lets an unscoped grant edit the global rule and capacities; denies without the permission', async () => {
    const admin = await signedIn('admin');
    await put(admin.cookie, '/api/routing-rules/global', rule).expect(200);
    await put(admin.cookie, `/api/routing-rules/agents/${admin.agent.id}/capacity`, {
      maxChats: 2,
    }).expect(200);
    expect(await db('agent_capacity')).toMatchObject([{ agent_id: admin.agent.id, max_chats: 2 }]);
    expect(await db('audit_events').where({ action: 'agent.capacity' })).toHaveLength(1);
    const nobody = await signedIn('no_rules');
    await t.http().get('/api/routing-rules').set('Cookie', nobody.cookie).expect(403);
    await put(nobody.cookie, '/api/routing-rules/global', { ...rule, mode: 'manual' }).expect(403);
    expect(await db('routing_rules').where({ department_key: 0 })).toMatchObject([
      { mode: 'least_busy' },
    ]);
  });
});
