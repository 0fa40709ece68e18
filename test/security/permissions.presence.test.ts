import { createRole, type RoleGrant } from '../harness/factories.ts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type AgentSocket, type TestParley } from '../harness/parley.ts';
import {
  FAST_PRESENCE,
  consoleSocket,
  history,
  historyReaches,
  signedInAgent,
  statusAudit,
  type SignedInAgent,
} from '../socket/presence.helpers.ts';

// The permission matrix for availability (issue 14): allowed and denied, across departments.
//   presence:get/set/activity  signedIn (every agent sets their own status)
//   presence:setFor            chats.monitor covering the agent's department (cause "admin")
//   board:get                  chats.monitor, scoped by the grant's departments
//   colleagues:list            chats.accept or chats.agent_chat
//   PATCH /api/roles/:name { awayAfterMinutes }   agents.manage

let t: TestParley;
let db: Db;
let cards: number;
let loans: number;
let group: number;
const sockets: AgentSocket[] = [];

const role = (name: string, grants: RoleGrant[]) => createRole(db, name, grants);

async function socketOf(roleName: string, departments: number[] = []) {
  const agent = await signedInAgent(db, t, roleName, departments);
  return { agent, socket: await consoleSocket(t, agent, sockets) };
}

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(FAST_PRESENCE);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  loans = Number((await db('departments').insert({ name: 'Loans' }))[0]);
  group = Number((await db('agent_groups').insert({ name: 'Night shift' }))[0]);
  await role('nobody', []);
  await role('monitor_all', [{ permission: 'chats.monitor' }]);
  await role('monitor_cards', [
    { permission: 'chats.monitor', scope: 'departments', ids: [cards] },
  ]);
  await role('monitor_group', [{ permission: 'chats.monitor', scope: 'groups', ids: [group] }]);
  await role('accept_only', [{ permission: 'chats.accept' }]);
  await role('agent_chat_only', [{ permission: 'chats.agent_chat' }]);
  await role('manager', [{ permission: 'agents.manage' }]);
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

const forbidden = { ok: false, error: { id: 'forbidden' } };

describe('own status (signedIn)', () => {
  it('lets an agent with no permission at all read and set their own status', async () => {
    const { agent, socket } = await socketOf('nobody');
    expect(await socket.emitWithAck('presence:set', { status: 'away' })).toMatchObject({
      ok: true,
      presence: { status: 'away', cause: 'chosen' },
    });
    expect(await socket.emitWithAck('presence:get', {})).toMatchObject({ ok: true });
    expect(await socket.emitWithAck('presence:activity', {})).toMatchObject({ ok: true });
    expect((await history(db, agent.id)).map((row) => row.cause)).toEqual(['connect', 'chosen']);
  });
});

describe('board:get (chats.monitor)', () => {
  it('allows unscoped and department-scoped supervisors, each their own agents', async () => {
    const cardsAgent = await signedInAgent(db, t, 'agent', [cards]);
    const loansAgent = await signedInAgent(db, t, 'agent', [loans]);
    const all = (await socketOf('monitor_all')).socket;
    const scoped = (await socketOf('monitor_cards')).socket;
    const ids = async (socket: AgentSocket) => {
      const reply = await socket.emitWithAck('board:get', {});
      if (!reply.ok) throw new Error(reply.error.id);
      return reply.board.agents.map((agent) => agent.agentId);
    };
    expect(await ids(all)).toEqual(expect.arrayContaining([cardsAgent.id, loansAgent.id]));
    expect(await ids(scoped)).toEqual([cardsAgent.id]);
  });

  it('allows a group-scoped supervisor the agents of the group only', async () => {
    const member = await signedInAgent(db, t, 'agent', [loans]);
    await signedInAgent(db, t, 'agent', [loans]);
    await db('agent_group_members').insert({ agent_id: member.id, group_id: group });
    const reply = await (await socketOf('monitor_group')).socket.emitWithAck('board:get', {});
    if (!reply.ok) throw new Error(reply.error.id);
    expect(reply.board.agents.map((agent) => agent.agentId)).toEqual([member.id]);
    expect(reply.board.waiting).toEqual([]);
  });

  it.each(['nobody', 'accept_only', 'manager'])('denies %s', async (roleName) => {
    const { socket } = await socketOf(roleName, [cards]);
    expect(await socket.emitWithAck('board:get', {})).toMatchObject(forbidden);
  });
});

describe('presence:setFor (chats.monitor covering the agent)', () => {
  let cardsAgent: SignedInAgent;
  let loansAgent: SignedInAgent;
  beforeEach(async () => {
    cardsAgent = await signedInAgent(db, t, 'agent', [cards]);
    loansAgent = await signedInAgent(db, t, 'agent', [loans]);
  });

  it('lets a Cards supervisor set a Cards agent away, recorded with cause admin', async () => {
    const { agent: supervisor, socket } = await socketOf('monitor_cards');
    expect(
      await socket.emitWithAck('presence:setFor', { agentId: cardsAgent.id, status: 'away' }),
    ).toMatchObject({ ok: true, presence: { status: 'away', cause: 'admin' } });
    expect(await history(db, cardsAgent.id)).toEqual([
      { status: 'away', previous: 'offline', cause: 'admin' },
    ]);
    const [entry] = await statusAudit(db, cardsAgent.id);
    expect(entry).toEqual({
      actorKind: 'agent',
      details: { status: ['offline', 'away'], cause: 'admin' },
    });
    const row = await db('audit_events').where({ action: 'agent.status' }).first();
    expect(Number(row.actor_id)).toBe(supervisor.id);
  });

  it('refuses a Cards supervisor a Loans agent, as if it did not exist, and records nothing', async () => {
    const { socket } = await socketOf('monitor_cards');
    expect(
      await socket.emitWithAck('presence:setFor', { agentId: loansAgent.id, status: 'away' }),
    ).toMatchObject({ ok: false, error: { id: 'not_found' } });
    expect(await history(db, loansAgent.id)).toEqual([]);
  });

  it('refuses an agent without chats.monitor', async () => {
    const { socket } = await socketOf('accept_only', [cards]);
    expect(
      await socket.emitWithAck('presence:setFor', { agentId: cardsAgent.id, status: 'offline' }),
    ).toMatchObject(forbidden);
    expect(await history(db, cardsAgent.id)).toEqual([]);
  });
});

describe('colleagues:list (chats.accept or chats.agent_chat)', () => {
  it.each(['accept_only', 'agent_chat_only'])(
    'allows %s, listing colleagues of the same departments only',
    async (roleName) => {
      const colleague = await signedInAgent(db, t, 'agent', [cards]);
      await signedInAgent(db, t, 'agent', [loans]);
      const { socket } = await socketOf(roleName, [cards]);
      const reply = await socket.emitWithAck('colleagues:list', {});
      if (!reply.ok) throw new Error(reply.error.id);
      expect(reply.colleagues.map((entry) => entry.agentId)).toEqual([colleague.id]);
    },
  );

  it.each(['nobody', 'monitor_all'])('denies %s', async (roleName) => {
    const { socket } = await socketOf(roleName, [cards]);
    expect(await socket.emitWithAck('colleagues:list', {})).toMatchObject(forbidden);
  });
});

describe("a role's away-after setting (agents.manage)", () => {
  const patch = (cookie: string, body: unknown) =>
    t
      .http()
      .patch('/api/roles/agent')
      .set('Origin', TEST_ORIGIN)
      .set('Cookie', cookie)
      .send(body as object);

  it('lets agents.manage set and clear it, audited', async () => {
    const manager = await signedInAgent(db, t, 'manager');
    const set = await patch(manager.cookie, { awayAfterMinutes: 7.5 }).expect(200);
    expect(set.body.role).toMatchObject({ name: 'agent', awayAfterMinutes: 7.5 });
    await patch(manager.cookie, { awayAfterMinutes: null }).expect(200);
    expect((await db('roles').where({ name: 'agent' }).first()).away_after_minutes).toBeNull();
    const audit = await db('audit_events').where({ action: 'role.update' }).orderBy('id');
    expect(audit).toHaveLength(2);
    expect(JSON.stringify(audit[0].details)).toContain('awayAfterMinutes');
    expect((await patch(manager.cookie, { awayAfterMinutes: 0 }).expect(400)).body.error.id).toBe(
      'invalid_input',
    );
  });

  it('denies a supervisor without agents.manage', async () => {
    const supervisor = await signedInAgent(db, t, 'monitor_all');
    const denied = await patch(supervisor.cookie, { awayAfterMinutes: 1 }).expect(403);
    expect(denied.body.error.id).toBe('forbidden');
    expect((await db('roles').where({ name: 'agent' }).first()).away_after_minutes).toBeNull();
  });
});

it('records each agent connecting once, whatever their permissions', async () => {
  const { agent } = await socketOf('nobody');
  expect(await historyReaches(db, agent.id, 1)).toHaveLength(1);
});
