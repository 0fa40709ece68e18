import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS } from '../../app/shared/permissions.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { connectAgent, connected, startTestParley, type TestParley } from '../harness/parley.ts';
import { auditEntries, signedIn, type Api } from './helpers.ts';

let t: TestParley;
let db: Db;
let admin: Api;

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
  admin = (await signedIn(t, db, { role: 'admin' })).api;
});

const disconnectedBy = (socket: ReturnType<typeof connectAgent>) =>
  new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));

describe('departments and agent groups', () => {
  it.each([
    ['departments', 'department'],
    ['groups', 'group'],
  ])('/api/%s: create, list, rename, delete, each audited', async (path, kind) => {
    const created = (
      await admin.post(`/api/${path}`, { name: 'Sales', description: 'Pre-sales' }).expect(201)
    ).body[kind];
    expect(created).toMatchObject({ name: 'Sales', description: 'Pre-sales', agentCount: 0 });
    expect((await admin.post(`/api/${path}`, { name: 'Sales' }).expect(409)).body.error.id).toBe(
      'already_exists',
    );
    const renamed = await admin
      .patch(`/api/${path}/${created.id}`, { name: 'Sales EMEA' })
      .expect(200);
    expect(renamed.body[kind].name).toBe('Sales EMEA');
    expect((await admin.get(`/api/${path}`).expect(200)).body[path]).toHaveLength(1);
    await admin.delete(`/api/${path}/${created.id}`).expect(204);
    await admin.delete(`/api/${path}/${created.id}`).expect(404);
    const entries = (await auditEntries(db)).filter((e) => e.action.startsWith(`${kind}.`));
    expect(entries.map((e) => e.action)).toEqual([
      `${kind}.create`,
      `${kind}.update`,
      `${kind}.delete`,
    ]);
    expect(entries[1]!.details).toEqual({ changes: { name: { from: 'Sales', to: 'Sales EMEA' } } });
  });

  it('need departments.manage to change; agents.manage may read', async () => {
    const plain = await signedIn(t, db);
    await plain.api.get('/api/departments').expect(403);
    await plain.api.post('/api/departments', { name: 'X' }).expect(403);
    await plain.api.post('/api/groups', { name: 'X' }).expect(403);
    await admin.post('/api/roles', { name: 'people-admin' }).expect(201);
    await admin
      .post('/api/grants', { permission: 'agents.manage', role: 'people-admin', scope: 'all' })
      .expect(201);
    await db('agents').where({ id: plain.agent.id }).update({ role: 'people-admin' });
    await plain.api.get('/api/departments').expect(200);
    await plain.api.get('/api/groups').expect(200);
    await plain.api.post('/api/departments', { name: 'X' }).expect(403);
  });

  it('deleting a department narrows the grants scoped by it', async () => {
    const a = (await admin.post('/api/departments', { name: 'A' })).body.department;
    const b = (await admin.post('/api/departments', { name: 'B' })).body.department;
    const both = (
      await admin
        .post('/api/grants', {
          permission: 'transcripts.view_all',
          role: 'agent',
          scope: 'departments',
          scopeIds: [a.id, b.id],
        })
        .expect(201)
    ).body.grant;
    const onlyA = (
      await admin
        .post('/api/grants', {
          permission: 'reports.view',
          role: 'agent',
          scope: 'departments',
          scopeIds: [a.id],
        })
        .expect(201)
    ).body.grant;
    await admin.delete(`/api/departments/${a.id}`).expect(204);
    const grants = (await admin.get('/api/grants?role=agent').expect(200)).body.grants;
    expect(grants.find((g: { id: number }) => g.id === both.id).scopeIds).toEqual([b.id]);
    expect(grants.find((g: { id: number }) => g.id === onlyA.id)).toBeUndefined();
  });
});

describe('roles', () => {
  it('lists the built-in roles and the catalogue', async () => {
    const res = await admin.get('/api/roles').expect(200);
    expect(res.body.roles.map((r: { name: string }) => r.name)).toEqual(['admin', 'agent']);
    expect(res.body.roles[0]).toMatchObject({ builtin: true, requireTotp: false });
    expect(res.body.permissions).toContainEqual({
      permission: 'agents.manage',
      description: expect.any(String),
    });
    expect(res.body.permissions).toHaveLength(ALL_PERMISSIONS.length);
  });

  it('creates, edits (two-factor requirement) and deletes a custom role; built-ins stay', async () => {
    const role = (
      await admin
        .post('/api/roles', { name: 'supervisor', description: 'Floor supervisors' })
        .expect(201)
    ).body.role;
    expect(role).toMatchObject({ name: 'supervisor', builtin: false, requireTotp: false });
    await admin.post('/api/roles', { name: 'supervisor' }).expect(409);
    await admin.post('/api/roles', { name: 'Bad Name!' }).expect(400);
    const edited = await admin.patch('/api/roles/supervisor', { requireTotp: true }).expect(200);
    expect(edited.body.role.requireTotp).toBe(true);
    expect((await db('roles').where({ name: 'supervisor' }).first()).require_totp).toBe(1);
    // Built-in roles can be edited, not deleted.
    await admin.patch('/api/roles/agent', { description: 'Front line' }).expect(200);

    const holder = { agent: (await createAgent(db, { email: 'sup@bank.test' })).agent };
    await admin.patch(`/api/agents/${holder.agent.id}`, { role: 'supervisor' }).expect(200);
    expect((await admin.delete('/api/roles/supervisor').expect(409)).body.error.id).toBe('in_use');
    await admin.patch(`/api/agents/${holder.agent.id}`, { role: 'agent' }).expect(200);
    await admin.delete('/api/roles/supervisor').expect(204);
    expect((await admin.delete('/api/roles/agent').expect(403)).body.error.id).toBe('forbidden');
    await admin.delete('/api/roles/admin').expect(403);
    await admin.delete('/api/roles/nope').expect(404);

    const actions = (await auditEntries(db)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['role.create', 'role.update', 'role.delete']));
    const update = (await auditEntries(db, 'role.update'))[0]!;
    expect(update.details).toEqual({ changes: { twoFactorRequired: { from: false, to: true } } });
  });

  it('need agents.manage', async () => {
    const plain = await signedIn(t, db);
    await plain.api.get('/api/roles').expect(403);
    await plain.api.post('/api/roles', { name: 'mine' }).expect(403);
    await plain.api.delete('/api/roles/agent').expect(403);
    await plain.api.get('/api/grants?role=agent').expect(403);
    await plain.api
      .post('/api/grants', { permission: 'audit.view', role: 'agent', scope: 'all' })
      .expect(403);
  });
});

describe('grants', () => {
  it('adds and removes grants for a role or an agent, with scopes, each audited', async () => {
    const department = (await admin.post('/api/departments', { name: 'Sales' })).body.department;
    const group = (await admin.post('/api/groups', { name: 'Nights' })).body.group;
    const bea = await signedIn(t, db, { email: 'bea@bank.test' });
    const toRole = await admin
      .post('/api/grants', {
        permission: 'transcripts.view_all',
        role: 'agent',
        scope: 'departments',
        scopeIds: [department.id],
      })
      .expect(201);
    expect(toRole.body.grant).toMatchObject({
      permission: 'transcripts.view_all',
      role: 'agent',
      agentId: null,
      scope: 'departments',
      scopeIds: [department.id],
    });
    const toAgent = await admin
      .post('/api/grants', {
        permission: 'chats.monitor',
        agentId: bea.agent.id,
        scope: 'groups',
        scopeIds: [group.id],
      })
      .expect(201);
    const listed = (await admin.get(`/api/grants?agentId=${bea.agent.id}`).expect(200)).body;
    expect(listed.grants).toEqual([toAgent.body.grant]);
    await admin.delete(`/api/grants/${toAgent.body.grant.id}`).expect(204);
    await admin.delete(`/api/grants/${toAgent.body.grant.id}`).expect(404);

    const entries = await auditEntries(db);
    const add = entries.filter((e) => e.action === 'grant.add');
    expect(add).toHaveLength(2);
    expect(add[1]).toMatchObject({
      target_kind: 'agent',
      target_id: String(bea.agent.id),
      details: { permission: 'chats.monitor', scope: 'groups', scopeIds: [group.id] },
    });
    expect(entries.filter((e) => e.action === 'grant.remove')).toHaveLength(1);
  });

  it('refuses bad grants with a clear reason', async () => {
    const bad = [
      { permission: 'not.a.permission', role: 'agent', scope: 'all' },
      { permission: 'reports.view', scope: 'all' },
      { permission: 'reports.view', role: 'agent', agentId: 1, scope: 'all' },
      { permission: 'reports.view', role: 'agent', scope: 'all', scopeIds: [1] },
      { permission: 'reports.view', role: 'agent', scope: 'departments', scopeIds: [] },
      { permission: 'reports.view', role: 'agent', scope: 'departments', scopeIds: [404] },
      { permission: 'reports.view', role: 'admin', scope: 'all' },
    ];
    for (const body of bad) {
      const res = await admin.post('/api/grants', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.id).toBe('invalid_input');
    }
    await admin
      .post('/api/grants', { permission: 'chats.accept', role: 'agent', scope: 'all' })
      .expect(409);
  });

  it('a grant change reaches the agent’s open sockets at once (they reconnect with new grants)', async () => {
    await db('permission_grants').where({ role: 'agent', permission: 'chats.accept' }).delete();
    const bea = await signedIn(t, db, { email: 'bea@bank.test' });
    const socket = connectAgent(t.url, bea.cookie);
    await connected(socket);
    const refused = await socket.emitWithAck('queue:list', {});
    expect(refused).toMatchObject({ ok: false, error: { id: 'forbidden' } });

    const gone = disconnectedBy(socket);
    const grant = await admin
      .post('/api/grants', { permission: 'chats.accept', agentId: bea.agent.id, scope: 'all' })
      .expect(201);
    expect(await gone).toBe('io server disconnect');
    // The session survives: the console reconnects and the handshake loads the new grants.
    socket.connect();
    await connected(socket);
    expect(await socket.emitWithAck('queue:list', {})).toMatchObject({ ok: true });

    const goneAgain = disconnectedBy(socket);
    await admin.delete(`/api/grants/${grant.body.grant.id}`).expect(204);
    expect(await goneAgain).toBe('io server disconnect');
    socket.connect();
    await connected(socket);
    expect(await socket.emitWithAck('queue:list', {})).toMatchObject({ ok: false });
    socket.close();
  });

  it('a role change reaches the agent’s sockets too', async () => {
    const bea = await signedIn(t, db, { email: 'bea@bank.test' });
    const socket = connectAgent(t.url, bea.cookie);
    await connected(socket);
    const gone = disconnectedBy(socket);
    await admin.post('/api/roles', { name: 'observer' }).expect(201);
    await admin.patch(`/api/agents/${bea.agent.id}`, { role: 'observer' }).expect(200);
    expect(await gone).toBe('io server disconnect');
    socket.connect();
    await connected(socket);
    expect(await socket.emitWithAck('queue:list', {})).toMatchObject({ ok: false });
    socket.close();
  });
});

describe('the session tells the console what the agent may use', () => {
  it('GET /api/agent/session lists the permissions held', async () => {
    const plain = await signedIn(t, db);
    const mine = (await plain.api.get('/api/agent/session').expect(200)).body.permissions;
    expect(mine).toEqual(expect.arrayContaining(['chats.accept', 'transcripts.view_department']));
    expect(mine).not.toContain('agents.manage');
    const all = (await admin.get('/api/agent/session').expect(200)).body.permissions;
    expect([...all].sort()).toEqual([...ALL_PERMISSIONS].sort());
  });
});
