import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RoutingRulesResponse } from '../../app/shared/routing.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent, createRole, type RoleGrant } from '../harness/factories.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';

// Capacity by role and by agent (issue 14), allowed and denied: a role's default capacity is edited
// as its away-after setting is (agents.manage, PATCH /api/roles/:name); agents' own limits and the
// "Agents' capacity" table in Admin › Routing need an unscoped routing_rules.manage.

let t: TestParley;
let db: Db;
let cards: number;

const role = (name: string, grants: RoleGrant[]) => createRole(db, name, grants);

async function signedIn(roleName: string) {
  const { agent, password } = await createAgent(db, { role: roleName as 'agent' });
  return { agent, cookie: await signIn(t, agent.email, password) };
}

const send = (method: 'put' | 'patch', cookie: string, path: string, body: unknown) => {
  const request = method === 'put' ? t.http().put(path) : t.http().patch(path);
  return request
    .set('Cookie', cookie)
    .set('Origin', TEST_ORIGIN)
    .send(body as object);
};
const roleCapacity = async () =>
  (await db('roles').where({ name: 'agent' }).first()).default_capacity as number | null;

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
  cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  await role('manager', [{ permission: 'agents.manage' }]);
  await role('router', [{ permission: 'routing_rules.manage' }]);
  await role('cards_router', [{ permission: 'routing_rules.manage', ids: [cards] }]);
  await role('nobody', [{ permission: 'chats.accept' }]);
});

describe("a role's default capacity (agents.manage)", () => {
  it('lets agents.manage set and clear it, audited, within 1..50', async () => {
    const manager = await signedIn('manager');
    const set = await send('patch', manager.cookie, '/api/roles/agent', { defaultCapacity: 2 });
    expect(set.status).toBe(200);
    expect(set.body.role).toMatchObject({ name: 'agent', defaultCapacity: 2 });
    expect(await roleCapacity()).toBe(2);
    await send('patch', manager.cookie, '/api/roles/agent', { defaultCapacity: null }).expect(200);
    expect(await roleCapacity()).toBeNull();
    const audit = await db('audit_events').where({ action: 'role.update' }).orderBy('id');
    expect(audit.map((row: { details: unknown }) => JSON.stringify(row.details))).toEqual([
      expect.stringContaining('"defaultCapacity":{"from":null,"to":2}'),
      expect.stringContaining('"defaultCapacity":{"from":2,"to":null}'),
    ]);
    for (const [value, message] of [
      [0, 'at least 1 chat'],
      [51, 'at most 50 chats'],
      [2.5, 'a whole number of chats'],
      ['3', 'a whole number of chats'],
    ] as const) {
      const refused = await send('patch', manager.cookie, '/api/roles/agent', {
        defaultCapacity: value,
      }).expect(400);
      expect(refused.body.error).toMatchObject({ id: 'invalid_input' });
      expect(refused.body.error.message).toContain(message);
    }
    expect(await roleCapacity()).toBeNull();
  });

  it('denies routing_rules.manage without agents.manage, and an agent with neither', async () => {
    for (const name of ['router', 'nobody']) {
      const who = await signedIn(name);
      const denied = await send('patch', who.cookie, '/api/roles/agent', { defaultCapacity: 1 });
      expect(denied.status).toBe(403);
      expect(denied.body.error.id).toBe('forbidden');
    }
    expect(await roleCapacity()).toBeNull();
    expect(await db('audit_events').where({ action: 'role.update' })).toEqual([]);
  });
});

describe("Admin › Routing's agents' capacity (unscoped routing_rules.manage)", () => {
  it('lists every active agent with what sets their capacity, and sets and clears their own limit', async () => {
    await db('roles').where({ name: 'agent' }).update({ default_capacity: 2 });
    const router = await signedIn('router');
    const { agent } = await createAgent(db, { name: 'Ada' });
    await createAgent(db, { name: 'Gone' }).then(({ agent: gone }) =>
      db('agents').where({ id: gone.id }).update({ active: 0 }),
    );
    const entry = (body: RoutingRulesResponse) => body.agents.find((a) => a.agentId === agent.id);

    const listed = (await t.http().get('/api/routing-rules').set('Cookie', router.cookie))
      .body as RoutingRulesResponse;
    expect(listed.agents.map((a) => a.name)).toEqual(['Ada', router.agent.name]);
    expect(entry(listed)).toEqual({
      agentId: agent.id,
      name: 'Ada',
      email: agent.email,
      role: 'agent',
      maxChats: null,
      roleCapacity: 2,
      effective: { capacity: 2, source: 'role' },
    });
    expect(listed.agents.find((a) => a.agentId === router.agent.id)?.effective).toEqual({
      capacity: 3,
      source: 'built_in',
    });

    const path = `/api/routing-rules/agents/${agent.id}/capacity`;
    const set = await send('put', router.cookie, path, { maxChats: 5 }).expect(200);
    expect(entry(set.body as RoutingRulesResponse)).toMatchObject({
      maxChats: 5,
      effective: { capacity: 5, source: 'own' },
    });
    const bad = await send('put', router.cookie, path, { maxChats: 0 }).expect(400);
    expect(bad.body.error.message).toContain('at least 1 chat');
    const cleared = await send('put', router.cookie, path, { maxChats: null }).expect(200);
    expect(entry(cleared.body as RoutingRulesResponse)?.effective).toEqual({
      capacity: 2,
      source: 'role',
    });
    expect(await db('agent_capacity')).toEqual([]);
    expect(await db('audit_events').where({ action: 'agent.capacity' })).toHaveLength(2);
  });

  it('shows a department-scoped editor no agents and lets them set none; denies without the permission', async () => {
    const { agent } = await createAgent(db);
    const scoped = await signedIn('cards_router');
    const listed = await t
      .http()
      .get('/api/routing-rules')
      .set('Cookie', scoped.cookie)
      .expect(200);
    expect((listed.body as RoutingRulesResponse).agents).toEqual([]);
    const path = `/api/routing-rules/agents/${agent.id}/capacity`;
    await send('put', scoped.cookie, path, { maxChats: 1 }).expect(403);
    const nobody = await signedIn('nobody');
    await t.http().get('/api/routing-rules').set('Cookie', nobody.cookie).expect(403);
    await send('put', nobody.cookie, path, { maxChats: 1 }).expect(403);
    expect(await db('agent_capacity')).toEqual([]);
  });
});
