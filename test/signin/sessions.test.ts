import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentSessions } from '../../app/domain/agentSessions.ts';
import { passwordHasher } from '../../app/domain/passwords.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connected,
  nextEvent,
  signIn,
  startTestParley,
  type AgentSocket,
  type TestParley,
} from '../harness/parley.ts';
import { SIGNIN_TEST_ENV, cookieOf, postSignIn } from './helpers.ts';

let t: TestParley;
let db: Db;
const sockets: AgentSocket[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(SIGNIN_TEST_ENV);
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));

const hasher = passwordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });
const client = { ip: '192.0.2.1', userAgent: 'test' };

describe('session ids', () => {
  it('are new at every sign-in, and the one the browser had stops working', async () => {
    const { agent, password } = await createAgent(db);
    const first = await signIn(t, agent.email, password);
    const res = await postSignIn(t, { email: agent.email, password }, { Cookie: first }).expect(
      200,
    );
    const second = cookieOf(res)!;
    expect(second).not.toBe(first);
    await t.http().get('/api/agent/session').set('Cookie', first).expect(401);
    await t.http().get('/api/agent/session').set('Cookie', second).expect(200);
  });

  it('rotate: a new id, the old one gone, the absolute lifetime not extended', async () => {
    const { agent } = await createAgent(db);
    let clock = new Date('2026-11-22T08:00:00Z');
    const sessions = agentSessions(db, hasher, { idleMinutes: 15, absoluteHours: 12 }, () => clock);
    const opened = await sessions.open(agent, client);
    clock = new Date(clock.getTime() + 10 * 60_000);
    const rotated = (await sessions.rotate(opened.sessionHash, client))!;
    expect(rotated.sessionId).not.toBe(opened.sessionId);
    expect(await sessions.resolve(opened.sessionId)).toBeNull();
    expect((await sessions.resolve(rotated.sessionId))?.agent.id).toBe(agent.id);
    const row = await db('agent_sessions').where({ id_hash: rotated.sessionHash }).first();
    expect(row.expires_at.toISOString()).toBe('2026-11-22T20:00:00.000Z');
  });
});

describe('expiry, with an injected clock', () => {
  it('ends a session idle for the idle timeout, and activity slides it', async () => {
    const { agent } = await createAgent(db);
    let clock = new Date('2026-11-22T08:00:00Z');
    const sessions = agentSessions(db, hasher, { idleMinutes: 15, absoluteHours: 12 }, () => clock);
    const { sessionId } = await sessions.open(agent, client);
    const later = (minutes: number) => {
      clock = new Date(clock.getTime() + minutes * 60_000);
    };
    later(14);
    expect(await sessions.resolve(sessionId)).not.toBeNull(); // activity at 08:14
    later(14);
    expect(await sessions.resolve(sessionId)).not.toBeNull(); // 08:28: 14 idle minutes
    later(15);
    expect(await sessions.resolve(sessionId)).toBeNull(); // 08:43: 15 idle minutes
    expect(await db('agent_sessions')).toHaveLength(0);
  });

  it('ends a session at its absolute lifetime however active it is', async () => {
    const { agent } = await createAgent(db);
    let clock = new Date('2026-11-22T08:00:00Z');
    const sessions = agentSessions(db, hasher, { idleMinutes: 15, absoluteHours: 2 }, () => clock);
    const { sessionId } = await sessions.open(agent, client);
    for (let minutes = 10; minutes < 120; minutes += 10) {
      clock = new Date(Date.parse('2026-11-22T08:00:00Z') + minutes * 60_000);
      expect(await sessions.resolve(sessionId), `after ${minutes} min`).not.toBeNull();
    }
    clock = new Date('2026-11-22T10:00:00Z');
    expect(await sessions.resolve(sessionId)).toBeNull();
  });

  it('purges expired sessions, stale pending sign-ins and old sign-in counts', async () => {
    const { agent } = await createAgent(db);
    let clock = new Date('2026-11-22T08:00:00Z');
    const sessions = agentSessions(db, hasher, { idleMinutes: 15, absoluteHours: 12 }, () => clock);
    await sessions.open(agent, client);
    await db('signin_pending').insert({
      id_hash: Buffer.alloc(32, 1),
      agent_id: agent.id,
      expires_at: new Date('2026-11-22T08:05:00Z'),
      ip: '192.0.2.1',
    });
    const longAgo = new Date('2026-11-20T08:00:00Z');
    await db('signin_attempts').insert([
      { email_hash: Buffer.alloc(32, 1), failures: 3, last_failure_at: longAgo },
      {
        email_hash: Buffer.alloc(32, 2),
        failures: 10,
        last_failure_at: longAgo,
        locked_until: new Date('2026-11-22T09:00:00Z'),
      },
    ]);
    await db('signin_address_failures').insert({
      address: '192.0.2.9',
      window_started_at: longAgo,
      failures: 4,
    });
    await db('signin_captcha_spent').insert({
      challenge_hash: Buffer.alloc(32, 3),
      expires_at: new Date('2026-11-22T08:10:00Z'),
    });
    clock = new Date('2026-11-22T08:20:00Z');
    expect(await sessions.purgeExpired()).toBe(1);
    expect(await db('signin_pending')).toHaveLength(0);
    expect(await db('signin_address_failures')).toHaveLength(0);
    expect(await db('signin_captcha_spent')).toHaveLength(0);
    // Quiet counts are forgotten after a day; a lock in force stays.
    expect(await db('signin_attempts').pluck('failures')).toEqual([10]);
  });
});

describe('seeing and ending sessions', () => {
  it('admins list every live session by handle (never the id) and end one, disconnecting its sockets', async () => {
    const { agent, password } = await createAgent(db);
    const admin = await createAgent(db, { role: 'admin' });
    const adminCookie = await signIn(t, admin.agent.email, admin.password);
    const cookie = await signIn(t, agent.email, password);
    const socket = connectAgent(t.url, cookie, { extraHeaders: { cookie, origin: TEST_ORIGIN } });
    sockets.push(socket);
    await connected(socket);

    const list = await t.http().get('/api/sessions').set('Cookie', adminCookie).expect(200);
    expect(list.body.sessions).toHaveLength(2);
    const theirs = list.body.sessions.find(
      (s: { agent: { id: number } }) => s.agent.id === agent.id,
    );
    expect(theirs).toEqual({
      handle: expect.stringMatching(/^[0-9a-f]{16}$/),
      agent: { id: agent.id, name: agent.name, email: agent.email },
      createdAt: expect.any(String),
      lastSeenAt: expect.any(String),
      expiresAt: expect.any(String),
      ip: '127.0.0.1',
      userAgent: expect.any(String),
      current: false,
    });
    const sessionId = cookie.split('=')[1]!;
    expect(JSON.stringify(list.body)).not.toContain(sessionId);
    const filtered = await t
      .http()
      .get(`/api/sessions?agentId=${agent.id}`)
      .set('Cookie', adminCookie)
      .expect(200);
    expect(filtered.body.sessions).toHaveLength(1);

    const ended = nextEvent<{ id: string }>(socket, 'session:ended');
    const gone = new Promise((resolve) => socket.once('disconnect', resolve));
    await t
      .http()
      .delete(`/api/sessions/${theirs.handle}`)
      .set('Cookie', adminCookie)
      .set('Origin', TEST_ORIGIN)
      .expect(204);
    expect((await ended).id).toBe('ended_by_admin');
    await gone;
    await t.http().get('/api/agent/session').set('Cookie', cookie).expect(401);
    await t
      .http()
      .delete(`/api/sessions/${theirs.handle}`)
      .set('Cookie', adminCookie)
      .set('Origin', TEST_ORIGIN)
      .expect(404);
    const [entry] = await db('audit_events').where({ action: 'session.end' });
    expect(entry).toMatchObject({ actor_id: admin.agent.id, target_id: String(agent.id) });
  });

  it('agents without security.manage see only their own sessions, and end them', async () => {
    const { agent, password } = await createAgent(db);
    const other = await createAgent(db);
    const otherCookie = await signIn(t, other.agent.email, other.password);
    const here = await signIn(t, agent.email, password);
    const there = await signIn(t, agent.email, password);

    await t.http().get('/api/sessions').set('Cookie', here).expect(403);
    const mine = await t.http().get('/api/agent/sessions').set('Cookie', here).expect(200);
    expect(mine.body.sessions).toHaveLength(2);
    const current = mine.body.sessions.find((s: { current: boolean }) => s.current);
    const elsewhere = mine.body.sessions.find((s: { current: boolean }) => !s.current);
    expect(current).toBeDefined();

    const othersList = await t.http().get('/api/agent/sessions').set('Cookie', otherCookie);
    const othersHandle = othersList.body.sessions[0].handle as string;
    await t
      .http()
      .delete(`/api/agent/sessions/${othersHandle}`)
      .set('Cookie', here)
      .set('Origin', TEST_ORIGIN)
      .expect(404);
    await t
      .http()
      .delete(`/api/agent/sessions/${elsewhere.handle}`)
      .set('Cookie', here)
      .set('Origin', TEST_ORIGIN)
      .expect(204);
    await t.http().get('/api/agent/session').set('Cookie', there).expect(401);
    await t.http().get('/api/agent/session').set('Cookie', here).expect(200);
    await t.http().get('/api/agent/session').set('Cookie', otherCookie).expect(200);
  });

  it('sign-out ends the session, disconnects its sockets and is audited', async () => {
    const { agent, password } = await createAgent(db);
    const cookie = await signIn(t, agent.email, password);
    const socket = connectAgent(t.url, cookie);
    sockets.push(socket);
    await connected(socket);
    const gone = new Promise((resolve) => socket.once('disconnect', resolve));
    await t
      .http()
      .delete('/api/agent/session')
      .set('Cookie', cookie)
      .set('Origin', TEST_ORIGIN)
      .expect(204);
    await gone;
    const actions = (await db('audit_events').orderBy('id').pluck('action')) as string[];
    // Availability (issue 14) records the console going online and, at sign-out, offline.
    expect(actions.filter((action) => action !== 'agent.status')).toEqual([
      'agent.signin',
      'agent.signout',
    ]);
    const causes = async () =>
      (await db('agent_status_history').where({ agent_id: agent.id }).pluck('cause')) as string[];
    for (let i = 0; i < 100 && !(await causes()).includes('signout'); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await causes()).toContain('signout');
  });
});
