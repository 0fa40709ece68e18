import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import {
  connectAgent,
  connected,
  nextEvent,
  signIn,
  startTestParley,
  type TestParley,
} from '../harness/parley.ts';
import { STRONG, STRONG_2, as, auditEntries, cookieFrom, signedIn, type Api } from './helpers.ts';

let t: TestParley;
let db: Db;
let admin: Api;
let adminId: number;

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
  const signed = await signedIn(t, db, { role: 'admin' });
  admin = signed.api;
  adminId = signed.agent.id;
});

const newAgent = (extra: object = {}) => ({
  name: 'Bea Agent',
  email: 'Bea@Bank.test',
  role: 'agent',
  ...extra,
});

describe('agents: admin CRUD', () => {
  it('creates an agent with a generated password shown once, who must change it at first sign-in', async () => {
    const department = (await admin.post('/api/departments', { name: 'Sales' }).expect(201)).body
      .department;
    const group = (await admin.post('/api/groups', { name: 'Night shift' }).expect(201)).body.group;
    const res = await admin
      .post('/api/agents', newAgent({ departments: [department.id], groups: [group.id] }))
      .expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.agent).toMatchObject({
      email: 'bea@bank.test',
      name: 'Bea Agent',
      role: 'agent',
      active: true,
      mustChangePassword: true,
      departments: [department.id],
      groups: [group.id],
    });
    expect(res.body.agent).not.toHaveProperty('passwordHash');
    const generated: string = res.body.generatedPassword;
    expect(generated.length).toBeGreaterThanOrEqual(20);
    // Shown once: nothing returns it again.
    const listed = await admin.get('/api/agents').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(generated);
    expect(listed.body.agents.map((a: { email: string }) => a.email)).toContain('bea@bank.test');

    // First sign-in: the session may read itself and change the password, nothing else.
    const cookie = await signIn(t, 'bea@bank.test', generated);
    const bea = as(t, cookie);
    expect((await bea.get('/api/agent/password').expect(200)).body.status).toBe('must_change');
    await bea.get('/api/agent/session').expect(200);
    const refused = await bea.get('/api/transcripts').expect(403);
    expect(refused.body.error.id).toBe('password_change_required');
    const socket = connectAgent(t.url, cookie);
    await expect(connected(socket)).rejects.toMatchObject({
      data: { id: 'password_change_required' },
    });
    socket.close();

    const changed = await bea
      .post('/api/agent/password', { currentPassword: generated, newPassword: STRONG })
      .expect(200);
    const fresh = as(t, cookieFrom(changed));
    await fresh.get('/api/transcripts').expect(200);
    const after = connectAgent(t.url, cookieFrom(changed));
    await connected(after);
    after.close();
    // The old session id was replaced at the change.
    await bea.get('/api/agent/session').expect(401);
    expect(
      (await admin.get(`/api/agents/${res.body.agent.id}`).expect(200)).body.agent,
    ).toMatchObject({ mustChangePassword: false });
  });

  it('takes an admin-chosen initial password only if it meets the policy', async () => {
    const weak = await admin.post('/api/agents', newAgent({ password: 'short' })).expect(400);
    expect(weak.body.error.id).toBe('password_rejected');
    expect(weak.body.error.details.map((v: { rule: string }) => v.rule)).toContain('min_length');
    const res = await admin.post('/api/agents', newAgent({ password: STRONG })).expect(201);
    expect(res.body.generatedPassword).toBeNull();
    const cookie = await signIn(t, 'bea@bank.test', STRONG);
    expect((await as(t, cookie).get('/api/agent/password').expect(200)).body.status).toBe(
      'must_change',
    );
  });

  it('refuses a duplicate email, an unknown role and unknown departments', async () => {
    await admin.post('/api/agents', newAgent()).expect(201);
    expect((await admin.post('/api/agents', newAgent()).expect(409)).body.error.id).toBe(
      'already_exists',
    );
    const role = await admin
      .post('/api/agents', newAgent({ email: 'x@bank.test', role: 'nope' }))
      .expect(400);
    expect(role.body.error.message).toContain('role');
    const department = await admin
      .post('/api/agents', newAgent({ email: 'y@bank.test', departments: [999] }))
      .expect(400);
    expect(department.body.error.message).toContain('999');
    const extra = await admin
      .post('/api/agents', newAgent({ email: 'z@bank.test', admin: true }))
      .expect(400);
    expect(extra.body.error.id).toBe('invalid_input');
  });

  it('updates name, email, role, departments and groups, recording what changed', async () => {
    const created = (await admin.post('/api/agents', newAgent()).expect(201)).body.agent;
    const department = (await admin.post('/api/departments', { name: 'Support' }).expect(201)).body
      .department;
    const res = await admin
      .patch(`/api/agents/${created.id}`, {
        name: 'Bea B. Agent',
        email: 'bea.b@bank.test',
        departments: [department.id],
      })
      .expect(200);
    expect(res.body.agent).toMatchObject({
      name: 'Bea B. Agent',
      email: 'bea.b@bank.test',
      departments: [department.id],
    });
    const [entry] = await auditEntries(db, 'agent.update');
    expect(entry).toMatchObject({
      actor_id: adminId,
      target_kind: 'agent',
      target_id: String(created.id),
      details: {
        changes: {
          name: { from: 'Bea Agent', to: 'Bea B. Agent' },
          email: { from: 'bea@bank.test', to: 'bea.b@bank.test' },
          departments: { from: [], to: [department.id] },
        },
      },
    });
    await admin.patch(`/api/agents/${created.id}`, {}).expect(400);
  });

  it('deactivating ends the agent’s sessions and disconnects their sockets', async () => {
    const bea = await signedIn(t, db, { email: 'bea@bank.test' });
    const socket = connectAgent(t.url, bea.cookie);
    await connected(socket);
    const ended = nextEvent<{ id: string }>(socket, 'session:ended');
    const res = await admin.post(`/api/agents/${bea.agent.id}/deactivate`, {}).expect(200);
    expect(res.body.agent.active).toBe(false);
    expect((await ended).id).toBe('deactivated');
    await bea.api.get('/api/agent/session').expect(401);
    expect(await db('agent_sessions').where({ agent_id: bea.agent.id })).toHaveLength(0);
    const signInAgain = await t
      .http()
      .post('/api/agent/session')
      .set('Origin', 'https://localhost:18443')
      .send({ email: 'bea@bank.test', password: bea.password });
    expect(signInAgain.status).toBe(401);
    socket.close();
    // Reactivation is an update.
    await admin.patch(`/api/agents/${bea.agent.id}`, { active: true }).expect(200);
    expect((await auditEntries(db)).map((e) => e.action)).toEqual(
      expect.arrayContaining(['agent.deactivate', 'agent.reactivate']),
    );
  });

  it('an admin cannot deactivate or demote themselves, nor remove the last admin', async () => {
    expect(
      (await admin.post(`/api/agents/${adminId}/deactivate`, {}).expect(403)).body.error.id,
    ).toBe('forbidden');
    await admin.patch(`/api/agents/${adminId}`, { role: 'agent' }).expect(403);
    const other = await signedIn(t, db, { role: 'admin', email: 'other.admin@bank.test' });
    await other.api.patch(`/api/agents/${adminId}`, { role: 'agent' }).expect(200);
    const last = await admin.post(`/api/agents/${other.agent.id}/deactivate`, {});
    // The demoted admin no longer holds agents.manage.
    expect(last.status).toBe(403);
  });
});

describe('agents: password reset by an admin', () => {
  it('forces a change, ends the agent’s sessions, and counts against the daily limit', async () => {
    await admin.put('/api/password-policy', {
      minLength: 12,
      maxLength: 128,
      requireUppercase: false,
      requireLowercase: false,
      requireDigit: false,
      requireSymbol: false,
      expiryDays: 0,
      minChangeIntervalHours: 0,
      historyCount: 5,
      resetsPerDay: 2,
    });
    const bea = await signedIn(t, db, { email: 'bea@bank.test' });
    const socket = connectAgent(t.url, bea.cookie);
    await connected(socket);
    const ended = nextEvent<{ id: string }>(socket, 'session:ended');

    const first = await admin.post(`/api/agents/${bea.agent.id}/password-reset`, {}).expect(200);
    expect(first.body.generatedPassword).toEqual(expect.any(String));
    expect(first.body.agent.mustChangePassword).toBe(true);
    expect((await ended).id).toBe('password_reset');
    await bea.api.get('/api/agent/session').expect(401);
    socket.close();

    const cookie = await signIn(t, 'bea@bank.test', first.body.generatedPassword);
    expect((await as(t, cookie).get('/api/transcripts').expect(403)).body.error.id).toBe(
      'password_change_required',
    );

    const second = await admin
      .post(`/api/agents/${bea.agent.id}/password-reset`, { password: STRONG_2 })
      .expect(200);
    expect(second.body.generatedPassword).toBeNull();
    const third = await admin.post(`/api/agents/${bea.agent.id}/password-reset`, {}).expect(429);
    expect(third.body.error.id).toBe('password_reset_limit');

    const entries = await auditEntries(db, 'agent.password_reset');
    expect(entries.map((e) => e.outcome)).toEqual(['success', 'success', 'denied']);
    expect(entries[0]!.details).toEqual({ chosenBy: 'server', resetsToday: 1 });
    expect(JSON.stringify(entries)).not.toContain(STRONG_2);
    expect(JSON.stringify(entries)).not.toContain(first.body.generatedPassword);
  });

  it('rejects a reset password that breaks the policy, listing the rules', async () => {
    const bea = await signedIn(t, db, { email: 'bea@bank.test', name: 'Bea Agent' });
    const res = await admin
      .post(`/api/agents/${bea.agent.id}/password-reset`, { password: 'agent007' })
      .expect(400);
    expect(res.body.error.details.map((v: { rule: string }) => v.rule).sort()).toEqual([
      'banned',
      'min_length',
      'personal_info',
    ]);
  });
});

describe('agents: who may manage them', () => {
  it('a plain agent is refused every agents endpoint', async () => {
    const plain = await signedIn(t, db);
    const bea = await signedIn(t, db, { email: 'bea@bank.test' });
    const calls = [
      plain.api.get('/api/agents'),
      plain.api.get(`/api/agents/${bea.agent.id}`),
      plain.api.post('/api/agents', newAgent({ email: 'new@bank.test' })),
      plain.api.patch(`/api/agents/${bea.agent.id}`, { name: 'Hacked' }),
      plain.api.post(`/api/agents/${bea.agent.id}/deactivate`, {}),
      plain.api.post(`/api/agents/${bea.agent.id}/password-reset`, {}),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(403);
      expect(res.body.error.id).toBe('forbidden');
    }
    expect(await db('agents').where({ name: 'Hacked' })).toHaveLength(0);
  });

  it('a manager who is not an admin cannot make or touch admins, nor grant what they lack', async () => {
    await admin.post('/api/roles', { name: 'team-lead' }).expect(201);
    await admin
      .post('/api/grants', { permission: 'agents.manage', role: 'team-lead', scope: 'all' })
      .expect(201);
    const lead = await signedIn(t, db, { email: 'lead@bank.test' });
    await admin.patch(`/api/agents/${lead.agent.id}`, { role: 'team-lead' }).expect(200);
    await lead.api.get('/api/agents').expect(200);
    await lead.api.post('/api/agents', newAgent({ role: 'admin' })).expect(403);
    await lead.api.post(`/api/agents/${adminId}/password-reset`, {}).expect(403);
    await lead.api.patch(`/api/agents/${adminId}`, { name: 'Renamed' }).expect(403);
    const grant = await lead.api
      .post('/api/grants', { permission: 'audit.view', agentId: lead.agent.id, scope: 'all' })
      .expect(403);
    expect(grant.body.error.message).toContain('audit.view');
    await lead.api.post('/api/agents', newAgent({ role: 'team-lead' })).expect(201);
  });

  it('a manager cannot hand out a permission more widely than they hold it', async () => {
    const cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
    const loans = Number((await db('departments').insert({ name: 'Loans' }))[0]);
    await admin.post('/api/roles', { name: 'cards-lead' }).expect(201);
    for (const permission of ['agents.manage', 'transcripts.view_all']) {
      await admin
        .post('/api/grants', {
          permission,
          role: 'cards-lead',
          scope: permission === 'agents.manage' ? 'all' : 'departments',
          scopeIds: permission === 'agents.manage' ? [] : [cards],
        })
        .expect(201);
    }
    const lead = await signedIn(t, db, { email: 'cards-lead@bank.test' });
    await admin.patch(`/api/agents/${lead.agent.id}`, { role: 'cards-lead' }).expect(200);
    const grant = (scope: string, scopeIds: number[]) =>
      lead.api.post('/api/grants', {
        permission: 'transcripts.view_all',
        agentId: lead.agent.id,
        scope,
        scopeIds,
      });
    const wider = await grant('all', []).expect(403);
    expect(wider.body.error.message).toContain('more widely than you hold it');
    await grant('departments', [cards, loans]).expect(403);
    await grant('departments', [cards]).expect(201);
  });

  it('refuses cross-site state changes', async () => {
    const res = await t
      .http()
      .post('/api/agents')
      .set('Cookie', (await signedIn(t, db, { role: 'admin', email: 'a2@bank.test' })).cookie)
      .set('Origin', 'https://evil.example')
      .send(newAgent());
    expect(res.status).toBe(403);
    expect(res.body.error.id).toBe('origin_not_allowed');
  });

  it('records an audit entry for every change, never with a password', async () => {
    const created = (await admin.post('/api/agents', newAgent()).expect(201)).body;
    await admin.patch(`/api/agents/${created.agent.id}`, { name: 'Bea Two' }).expect(200);
    await admin.post(`/api/agents/${created.agent.id}/password-reset`, {}).expect(200);
    await admin.post(`/api/agents/${created.agent.id}/deactivate`, {}).expect(200);
    const entries = await auditEntries(db);
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'agent.create',
        'agent.update',
        'agent.password_reset',
        'agent.deactivate',
      ]),
    );
    const mine = ['agent.create', 'agent.update', 'agent.password_reset', 'agent.deactivate'];
    for (const entry of entries.filter((e) => mine.includes(e.action))) {
      expect(entry).toMatchObject({ actor_id: adminId, outcome: 'success' });
    }
    const create = entries.find((e) => e.action === 'agent.create')!;
    expect(create.details).toMatchObject({
      email: 'bea@bank.test',
      role: 'agent',
      chosenBy: 'server',
    });
    expect(JSON.stringify(entries)).not.toContain(created.generatedPassword);
  });
});
