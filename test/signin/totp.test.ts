import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connected,
  signIn,
  startTestParley,
  type TestParley,
} from '../harness/parley.ts';
import { SIGNIN_TEST_ENV, cookieOf, currentCode, enrol, nextCode, postSignIn } from './helpers.ts';

let t: TestParley;
let db: Db;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(SIGNIN_TEST_ENV);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));

const codeStep = (pending: string, code: string) =>
  t
    .http()
    .post('/api/agent/session/totp')
    .set('Cookie', pending)
    .set('Origin', TEST_ORIGIN)
    .send({ code });

const PENDING = '__Host-parley_signin';

async function passwordStep(email: string, password: string) {
  const res = await postSignIn(t, { email, password }).expect(200);
  expect(res.body).toEqual({ next: 'code' });
  expect(cookieOf(res)).toBeUndefined();
  const pending = cookieOf(res, PENDING)!;
  expect(pending).toBeDefined();
  return pending;
}

describe('TOTP enrolment and two-step sign-in', () => {
  it('enrols, signs in with a code, refuses a replayed code, and takes each recovery code once', async () => {
    const { agent, password } = await createAgent(db);
    const cookie = await signIn(t, agent.email, password);
    const { secret, setup, recoveryCodes, cookie: rotated } = await enrol(t, cookie);
    expect(setup.uri).toMatch(/^otpauth:\/\/totp\/Parley:agent\d+%40example\.test\?/);
    expect(setup.uri).toContain(`secret=${secret}`);
    expect(setup.qr.size).toBeGreaterThan(20);
    expect(setup.qr.path).toMatch(/^M\d+ \d+h1v1h-1z/);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
    // Enrolling is a privilege change: a new session id, and the old one is gone.
    expect(rotated).not.toBe(cookie);
    await t.http().get('/api/agent/session').set('Cookie', cookie).expect(401);
    await t.http().get('/api/agent/session').set('Cookie', rotated).expect(200);

    // Stored encrypted, recovery codes hashed.
    const stored = await db('agent_totp').where({ agent_id: agent.id }).first();
    expect(stored.secret.toString('latin1')).not.toContain(secret);
    expect(stored.secret.length).toBeGreaterThan(20 + 12 + 16);
    const hashes = await db('agent_recovery_codes').where({ agent_id: agent.id });
    expect(hashes).toHaveLength(10);
    expect(JSON.stringify(hashes)).not.toContain(recoveryCodes[0]!.replace('-', ''));

    // Password step: no session yet, the pending sign-in is not a session.
    const pending = await passwordStep(agent.email, password);
    const asSession = pending.replace(PENDING, '__Host-parley_session');
    await t.http().get('/api/agent/session').set('Cookie', asSession).expect(401);
    const bad = await codeStep(pending, '000000');
    expect(bad.status).toBe(401);
    expect(bad.body.error.id).toBe('totp_invalid');

    const code = nextCode(secret);
    const done = await codeStep(pending, code).expect(200);
    expect(done.body.agent.id).toBe(agent.id);
    const session = cookieOf(done)!;
    expect(session).toMatch(/^__Host-parley_session=/);
    expect(session.split('=')[1]).not.toBe(pending.split('=')[1]);
    await t.http().get('/api/agent/session').set('Cookie', session).expect(200);
    // The pending sign-in is used up.
    expect((await codeStep(pending, nextCode(secret, 0))).body.error.id).toBe('totp_step_expired');

    // The same code again, in a new sign-in within its window: refused.
    const again = await passwordStep(agent.email, password);
    expect((await codeStep(again, code)).body.error.id).toBe('totp_invalid');

    // A recovery code works once (any case, with or without the dash).
    const recovery = recoveryCodes[3]!;
    await codeStep(again, recovery.toUpperCase().replace('-', '')).expect(200);
    const third = await passwordStep(agent.email, password);
    expect((await codeStep(third, recovery)).body.error.id).toBe('totp_invalid');

    const actions = (await db('audit_events').orderBy('id').pluck('action')) as string[];
    expect(actions).toContain('agent.totp_enable');
    expect(actions).toContain('agent.recovery_code_used');
    const status = await t.http().get('/api/agent/totp').set('Cookie', session).expect(200);
    expect(status.body).toMatchObject({
      enabled: true,
      requiredByRole: false,
      recoveryCodesLeft: 9,
    });
  });

  it('ends a pending sign-in after five wrong codes, and counts them toward the lock', async () => {
    const { agent, password } = await createAgent(db);
    const { secret } = await enrol(t, await signIn(t, agent.email, password));
    const pending = await passwordStep(agent.email, password);
    for (let i = 0; i < 5; i += 1) {
      expect((await codeStep(pending, `00000${i}`)).body.error.id).toBe('totp_invalid');
    }
    expect((await codeStep(pending, nextCode(secret))).body.error.id).toBe('totp_step_expired');
    const attempt = await db('signin_attempts').where({ agent_id: agent.id }).first();
    expect(attempt.failures).toBe(5);
  });

  it('turns TOTP off only with the password and a code, and never when the role requires it', async () => {
    const { agent, password } = await createAgent(db);
    const {
      secret,
      cookie,
      code: enrolCode,
    } = await enrol(t, await signIn(t, agent.email, password));
    const disable = (body: object) =>
      t
        .http()
        .post('/api/agent/totp/disable')
        .set('Cookie', cookie)
        .set('Origin', TEST_ORIGIN)
        .send(body);
    const wrong = await disable({ password: 'not it', code: nextCode(secret) }).expect(403);
    expect(wrong.body.error.id).toBe('reauthentication_failed');

    await db('roles').where({ name: 'agent' }).update({ require_totp: 1 });
    const required = await disable({ password, code: nextCode(secret) }).expect(403);
    expect(required.body.error.id).toBe('totp_required_by_role');
    await db('roles').where({ name: 'agent' }).update({ require_totp: 0 });

    // The code that confirmed the enrolment is spent.
    expect((await disable({ password, code: enrolCode })).status).toBe(403);
    await disable({ password, code: nextCode(secret) }).expect(204);
    expect(await db('agent_totp').where({ agent_id: agent.id })).toHaveLength(0);
    expect(await db('agent_recovery_codes').where({ agent_id: agent.id })).toHaveLength(0);
    await postSignIn(t, { email: agent.email, password }).expect(200);
    const actions = (await db('audit_events').orderBy('id').pluck('action')) as string[];
    // Refused twice (wrong password, replayed code), then done.
    expect(actions.filter((a) => a === 'agent.totp_disable')).toHaveLength(3);
  });

  it('lets an admin turn TOTP off for an agent who lost their device', async () => {
    const { agent, password } = await createAgent(db);
    await enrol(t, await signIn(t, agent.email, password));
    const admin = await createAgent(db, { role: 'admin' });
    const adminCookie = await signIn(t, admin.agent.email, admin.password);
    await t
      .http()
      .delete(`/api/agents/${agent.id}/totp`)
      .set('Cookie', adminCookie)
      .set('Origin', TEST_ORIGIN)
      .expect(204);
    await postSignIn(t, { email: agent.email, password }).expect(200);
  });
});

describe('TOTP required by role', () => {
  it('restricts the session to enrolment until TOTP is on, then rotates it into a full one', async () => {
    await db('roles').where({ name: 'agent' }).update({ require_totp: 1 });
    const { agent, password } = await createAgent(db);
    const res = await postSignIn(t, { email: agent.email, password }).expect(200);
    expect(res.body.restriction).toBe('totp_enrollment');
    const cookie = cookieOf(res)!;

    const me = await t.http().get('/api/agent/session').set('Cookie', cookie).expect(200);
    expect(me.body.restriction).toBe('totp_enrollment');
    const blocked = await t.http().get('/api/transcripts').set('Cookie', cookie).expect(403);
    expect(blocked.body.error.id).toBe('totp_enrollment_required');
    await t.http().get('/api/agent/sessions').set('Cookie', cookie).expect(403);
    const socket = connectAgent(t.url, cookie);
    await expect(connected(socket)).rejects.toMatchObject({ data: { id: 'unauthenticated' } });
    socket.close();

    const { cookie: full, secret } = await enrol(t, cookie);
    expect(full).not.toBe(cookie);
    const after = await t.http().get('/api/agent/session').set('Cookie', full).expect(200);
    expect(after.body.restriction).toBeUndefined();
    await t.http().get('/api/transcripts').set('Cookie', full).expect(200);
    const live = connectAgent(t.url, full);
    await connected(live);
    live.close();

    // From now on sign-in takes two steps.
    const pending = await passwordStep(agent.email, password);
    await codeStep(pending, nextCode(secret)).expect(200);
    expect(currentCode(secret)).toMatch(/^\d{6}$/);
  });
});
