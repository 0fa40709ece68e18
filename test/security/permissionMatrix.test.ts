import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS } from '../../app/shared/permissions.ts';
import { loadGrants } from '../../app/domain/permissions/policy.ts';
import type { AgentRow } from '../../app/storage/agents.ts';
import type { Db } from '../../app/storage/db.ts';
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

// For every permission in the catalogue: one allowed and one denied case, across departments
// and groups. Deny by default: no grant, no access.

let db: Db;
let departmentA: number;
let departmentB: number;
let group: number;

const role = (name: string, grants: RoleGrant[]) => createRole(db, name, grants);

async function agentWith(roleName: string, departments: number[] = [], groups: number[] = []) {
  const { agent, password } = await createAgent(db, { role: roleName as 'agent' });
  for (const id of departments)
    await db('agent_departments').insert({ agent_id: agent.id, department_id: id });
  for (const id of groups)
    await db('agent_group_members').insert({ agent_id: agent.id, group_id: id });
  return { agent, password };
}

beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());
beforeEach(async () => {
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  departmentA = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  departmentB = Number((await db('departments').insert({ name: 'Loans' }))[0]);
  group = Number((await db('agent_groups').insert({ name: 'Night shift' }))[0]);
});

describe('the policy, for every permission in the catalogue', () => {
  it.each(ALL_PERMISSIONS)(
    '%s: granted covers, not granted denies, scopes hold',
    async (permission) => {
      const slug = permission.replace(/\W/g, '_');
      await role(`all_${slug}`, [{ permission, scope: 'all' }]);
      await role(`dept_${slug}`, [{ permission, scope: 'departments', ids: [departmentA] }]);
      await role(`group_${slug}`, [{ permission, scope: 'groups', ids: [group] }]);
      await role(`none_${slug}`, []);
      const colleague = (await agentWith('agent', [], [group])).agent;
      const stranger = (await agentWith('agent')).agent;
      const granted = await loadGrants(db, (await agentWith(`all_${slug}`)).agent);
      const scoped = await loadGrants(db, (await agentWith(`dept_${slug}`, [departmentB])).agent);
      const grouped = await loadGrants(db, (await agentWith(`group_${slug}`)).agent);
      const denied = await loadGrants(db, (await agentWith(`none_${slug}`, [departmentA])).agent);
      const inA = { departmentId: departmentA, agentId: stranger.id };
      const inB = { departmentId: departmentB, agentId: stranger.id };

      expect(granted.holds(permission)).toBe(true);
      expect(denied.holds(permission)).toBe(false);
      expect(denied.covers(permission, inA)).toBe(false);

      if (permission === 'transcripts.view_department') {
        // Bounded by the agent's own departments, whatever the grant's scope.
        expect(scoped.covers(permission, inB)).toBe(true);
        expect(scoped.covers(permission, inA)).toBe(false);
        expect(granted.covers(permission, inA)).toBe(false);
      } else {
        expect(granted.covers(permission, inB)).toBe(true);
        expect(scoped.covers(permission, inA)).toBe(true);
        expect(scoped.covers(permission, inB)).toBe(false);
        expect(
          grouped.covers(permission, { departmentId: departmentB, agentId: colleague.id }),
        ).toBe(true);
        expect(grouped.covers(permission, inB)).toBe(false);
      }
    },
  );

  it('gives the built-in admin role every permission', async () => {
    const admin = await loadGrants(db, (await agentWith('admin')).agent);
    expect(ALL_PERMISSIONS.filter((permission) => !admin.holds(permission))).toEqual([]);
  });
});

describe('enforced over HTTP and sockets', () => {
  let t: TestParley;
  beforeAll(async () => {
    t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' });
  });
  afterAll(() => t.close());

  async function endedChatIn(departmentId: number, handler: AgentRow): Promise<number> {
    const visitorId = randomUUID();
    await db('visitors').insert({ id: visitorId });
    const [chatId] = await db('chats').insert({
      visitor_id: visitorId,
      agent_id: handler.id,
      department_id: departmentId,
      status: 'ended',
      ended_at: new Date(),
    });
    return chatId!;
  }

  it("keeps an agent of one department out of another department's transcripts", async () => {
    const handler = (await agentWith('agent')).agent;
    const chatA = await endedChatIn(departmentA, handler);
    const chatB = await endedChatIn(departmentB, handler);
    const ofA = await agentWith('agent', [departmentA]);
    const cookie = await signIn(t, ofA.agent.email, ofA.password);
    await t.http().get(`/api/transcripts/${chatA}`).set('Cookie', cookie).expect(200);
    const refused = await t
      .http()
      .get(`/api/transcripts/${chatB}`)
      .set('Cookie', cookie)
      .expect(404);
    expect(refused.body.error.id).toBe('not_found');
    const list = await t.http().get('/api/transcripts').set('Cookie', cookie).expect(200);
    expect(list.body.transcripts.map((row: { chatId: number }) => row.chatId)).toEqual([chatA]);

    await role('auditor', [{ permission: 'transcripts.view_all' }]);
    const auditor = await agentWith('auditor');
    const auditorCookie = await signIn(t, auditor.agent.email, auditor.password);
    const all = await t.http().get('/api/transcripts').set('Cookie', auditorCookie).expect(200);
    expect(all.body.transcripts.map((row: { chatId: number }) => row.chatId)).toEqual([
      chatB,
      chatA,
    ]);

    await role('nobody', []);
    const nobody = await agentWith('nobody');
    const nobodyCookie = await signIn(t, nobody.agent.email, nobody.password);
    const forbidden = await t
      .http()
      .get('/api/transcripts')
      .set('Cookie', nobodyCookie)
      .expect(403);
    expect(forbidden.body.error.id).toBe('forbidden');
  });

  it('shows the visitor limits and their refusals only to security.manage', async () => {
    await role('guard', [{ permission: 'security.manage' }]);
    await role('auditor', [{ permission: 'audit.view' }]);
    const guard = await agentWith('guard');
    const auditor = await agentWith('auditor');
    const allowed = await t
      .http()
      .get('/api/rate-limits')
      .set('Cookie', await signIn(t, guard.agent.email, guard.password))
      .expect(200);
    expect(allowed.body.limits).toHaveLength(6);
    const denied = await t
      .http()
      .get('/api/rate-limits')
      .set('Cookie', await signIn(t, auditor.agent.email, auditor.password))
      .expect(403);
    expect(denied.body.error.id).toBe('forbidden');
    expect((await t.http().get('/api/rate-limits').expect(401)).body.error.id).toBe(
      'unauthenticated',
    );
  });

  it('lets only agents whose chats.accept covers a department see and accept its waiting chats', async () => {
    await role('cards_desk', [
      { permission: 'chats.accept', scope: 'departments', ids: [departmentA] },
    ]);
    await role('nobody', []);
    const desk = await agentWith('cards_desk');
    const nobody = await agentWith('nobody');
    const deskSocket = connectAgent(t.url, await signIn(t, desk.agent.email, desk.password));
    const nobodySocket = connectAgent(t.url, await signIn(t, nobody.agent.email, nobody.password));
    const visitorSocket = connectVisitor(t.url, await visitorToken(t));
    try {
      await Promise.all([connected(deskSocket), connected(nobodySocket), connected(visitorSocket)]);
      const started = await visitorSocket.emitWithAck('chat:start', {});
      if (!started.ok) throw new Error(started.error.id);
      // A chat in Loans (B): the Cards desk may neither see nor accept it.
      await db('chats').where({ id: started.chat.id }).update({ department_id: departmentB });
      const deskQueue = await deskSocket.emitWithAck('queue:list', {});
      expect(deskQueue).toMatchObject({ ok: true, queue: [] });
      expect(
        await deskSocket.emitWithAck('chat:accept', { chatId: started.chat.id }),
      ).toMatchObject({
        ok: false,
        error: { id: 'chat_not_found' },
      });
      expect(await nobodySocket.emitWithAck('queue:list', {})).toMatchObject({
        ok: false,
        error: { id: 'forbidden' },
      });
      await db('chats').where({ id: started.chat.id }).update({ department_id: departmentA });
      expect(
        await deskSocket.emitWithAck('chat:accept', { chatId: started.chat.id }),
      ).toMatchObject({
        ok: true,
      });
    } finally {
      deskSocket.disconnect();
      nobodySocket.disconnect();
      visitorSocket.disconnect();
    }
  });
});
