import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { passwordHasher } from '../../app/domain/passwords.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';
import { STRONG, STRONG_2, as, auditEntries, cookieFrom, signedIn, type Api } from './helpers.ts';

let t: TestParley;
let db: Db;
let admin: Api;

const hasher = passwordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });

const STRICT = {
  minLength: 12,
  maxLength: 64,
  requireUppercase: true,
  requireLowercase: true,
  requireDigit: true,
  requireSymbol: true,
  expiryDays: 0,
  minChangeIntervalHours: 0,
  historyCount: 3,
  resetsPerDay: 3,
};

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
  await admin.put('/api/password-policy', STRICT).expect(200);
});

/** An agent "Ann Example" whose current password is `current`, signed in. */
async function ann(current = STRONG) {
  const { agent } = await createAgent(db, {
    name: 'Ann Example',
    email: 'ann.example@bank.test',
    password: current,
  });
  let cookie = await signIn(t, agent.email, current);
  return {
    agent,
    /** Changes the password; keeps the rotated cookie for the next call. */
    async change(currentPassword: string, newPassword: string, status = 200) {
      const res = await as(t, cookie)
        .post('/api/agent/password', { currentPassword, newPassword })
        .expect(status);
      if (res.status === 200) cookie = cookieFrom(res);
      return res;
    },
  };
}

const rulesOf = (res: { body: { error?: { details?: { rule: string }[] } } }) =>
  (res.body.error?.details ?? []).map((violation) => violation.rule).sort();

describe('password policy: each rule alone', () => {
  const cases: [string, string][] = [
    ['min_length', 'Zq7!vLp2#'],
    ['max_length', `Zq7!vLp2#${'x'.repeat(60)}`],
    ['uppercase', 'zq7!vlp2#rm9xt'],
    ['lowercase', 'ZQ7!VLP2#RM9XT'],
    ['digit', 'Zqx!vLpa#Rmbxt'],
    ['symbol', 'Zq7avLp2bRm9xT'],
    ['banned', 'g00dPa$$w0rD'],
    ['personal_info', 'Zq7!Example#9x'],
  ];
  it.each(cases)('rejects a password that breaks only %s, naming it', async (rule, password) => {
    const agent = await ann();
    const res = await agent.change(STRONG, password, 400);
    expect(res.body.error.id).toBe('password_rejected');
    expect(rulesOf(res)).toEqual([rule]);
    expect(res.body.error.details[0].message).toEqual(expect.any(String));
    expect(res.body.error.message).toContain(res.body.error.details[0].message);
  });

  it('finds the email local part and the name in any case', async () => {
    const agent = await ann();
    for (const password of [
      'Zq7!ANN.EXAMPLE9x',
      'Zq7!AnnExample9x',
      'x9!Zq7ann.example@bank.testQ',
    ]) {
      expect(rulesOf(await agent.change(STRONG, password, 400))).toEqual(['personal_info']);
    }
  });

  it('accepts a password that breaks none, and the agent signs in with it', async () => {
    const agent = await ann();
    await agent.change(STRONG, STRONG_2, 200);
    await signIn(t, 'ann.example@bank.test', STRONG_2);
  });

  it('refuses the current password and the last N (history)', async () => {
    const agent = await ann();
    expect(rulesOf(await agent.change(STRONG, STRONG, 400))).toEqual(['history']);
    await agent.change(STRONG, STRONG_2, 200);
    await agent.change(STRONG_2, 'Ke3$wRt7!Lm2pZ', 200);
    // STRONG_2 is no longer current, but one of the last 3.
    expect(rulesOf(await agent.change('Ke3$wRt7!Lm2pZ', STRONG_2, 400))).toEqual(['history']);
  });

  it('history forgets passwords older than the last N', async () => {
    await admin.put('/api/password-policy', { ...STRICT, historyCount: 1 }).expect(200);
    const agent = await ann();
    await agent.change(STRONG, STRONG_2, 200);
    await agent.change(STRONG_2, 'Ke3$wRt7!Lm2pZ', 200);
    await agent.change('Ke3$wRt7!Lm2pZ', STRONG_2, 200);
  });

  it('refuses a second change within the minimum interval, saying when', async () => {
    await admin.put('/api/password-policy', { ...STRICT, minChangeIntervalHours: 24 }).expect(200);
    const agent = await ann();
    await agent.change(STRONG, STRONG_2, 200);
    const res = await agent.change(STRONG_2, 'Ke3$wRt7!Lm2pZ', 400);
    expect(rulesOf(res)).toEqual(['min_interval']);
    expect(res.body.error.details[0].message).toMatch(/after \d{4}-\d\d-\d\dT/);
  });

  it('lists every rule a password breaks at once', async () => {
    await admin.put('/api/password-policy', { ...STRICT, minChangeIntervalHours: 24 }).expect(200);
    // A password set outside the policy (as ops tools can): short, banned, the agent's own name.
    const { agent } = await createAgent(db, {
      name: 'Ann Example',
      email: 'ann@bank.test',
      password: 'example',
    });
    await db('password_history').insert({
      agent_id: agent.id,
      password_hash: agent.password_hash,
      reason: 'changed',
      created_at: new Date(),
    });
    const cookie = await signIn(t, agent.email, 'example');
    const res = await as(t, cookie)
      .post('/api/agent/password', { currentPassword: 'example', newPassword: 'example' })
      .expect(400);
    expect(res.body.error.id).toBe('password_rejected');
    expect(rulesOf(res)).toEqual(
      [
        'min_length',
        'uppercase',
        'digit',
        'symbol',
        'banned',
        'personal_info',
        'history',
        'min_interval',
      ].sort(),
    );
    for (const violation of res.body.error.details)
      expect(violation.message.length).toBeGreaterThan(5);
  });

  it('refuses a wrong current password without checking the new one', async () => {
    const agent = await ann();
    const res = await agent.change('not my password', STRONG_2, 400);
    expect(res.body.error.id).toBe('current_password_incorrect');
  });

  it('counts wrong current passwords like wrong sign-ins: the lock ends the session', async () => {
    const agent = await ann();
    for (let i = 0; i < 3; i++) await agent.change('not my password', STRONG_2, 400);
    expect(await db('signin_attempts').where({ agent_id: agent.agent.id }).first()).toMatchObject({
      failures: 3,
    });
    // The right password clears the count, as a sign-in does.
    await agent.change(STRONG, STRONG_2, 200);
    expect(await db('signin_attempts').where({ agent_id: agent.agent.id })).toHaveLength(0);

    for (let i = 0; i < 10; i++) await agent.change('still not it', STRONG, 400);
    const lock = await auditEntries(db, 'agent.lockout');
    expect(lock).toHaveLength(1);
    expect(lock[0]!.details).toMatchObject({ failures: 10, via: 'password_change' });
    // The session is over, and the right password no longer signs in while the lock holds.
    const after = await agent.change(STRONG_2, STRONG, 401);
    expect(after.body.error.id).toBe('unauthenticated');
    const attempt = await db('signin_attempts').where({ agent_id: agent.agent.id }).first();
    expect(attempt.locked_until.getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);
    const signin = await t
      .http()
      .post('/api/agent/session')
      .set('Origin', TEST_ORIGIN)
      .send({ email: agent.agent.email, password: STRONG_2 });
    expect(signin.status).toBe(401);
    expect(signin.headers['set-cookie']).toBeUndefined();
  });

  it('keeps argon2id hashes in the history, never the password', async () => {
    const agent = await ann();
    await agent.change(STRONG, STRONG_2, 200);
    const rows = await db('password_history').where({ agent_id: agent.agent.id });
    expect(rows).toHaveLength(1);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(await hasher.verify(rows[0].password_hash, STRONG_2)).toBe(true);
    expect(JSON.stringify(await db('audit_events').select('details'))).not.toContain(STRONG_2);
  });
});

describe('password policy settings', () => {
  it('has the documented defaults', async () => {
    await truncateAll(db);
    const { api } = await signedIn(t, db, { role: 'admin' });
    const res = await api.get('/api/password-policy').expect(200);
    expect(res.body.policy).toEqual({
      minLength: 12,
      maxLength: 128,
      requireUppercase: false,
      requireLowercase: false,
      requireDigit: false,
      requireSymbol: false,
      expiryDays: 0,
      minChangeIntervalHours: 24,
      historyCount: 5,
      resetsPerDay: 3,
    });
    expect(res.body.bannedListSize).toBeGreaterThan(900_000);
  });

  it('refuses a maximum below 64, a minimum below 8 and unknown fields', async () => {
    for (const bad of [{ maxLength: 32 }, { minLength: 6 }, { extra: true }]) {
      const res = await admin.put('/api/password-policy', { ...STRICT, ...bad }).expect(400);
      expect(res.body.error.id).toBe('invalid_input');
    }
  });

  it('needs security.manage, and records each change with what changed', async () => {
    const plain = await signedIn(t, db);
    const res = await plain.api.get('/api/password-policy').expect(403);
    expect(res.body.error.id).toBe('forbidden');
    await plain.api.put('/api/password-policy', STRICT).expect(403);

    await admin.put('/api/password-policy', { ...STRICT, minLength: 16 }).expect(200);
    const entries = await auditEntries(db, 'settings.password_policy');
    expect(entries.at(-1)).toMatchObject({
      outcome: 'success',
      details: { changes: { minLength: { from: 12, to: 16 } } },
    });
  });

  it('an expired password must be changed before anything else', async () => {
    await admin.put('/api/password-policy', { ...STRICT, expiryDays: 30 }).expect(200);
    const agent = await ann();
    await db('password_history').insert({
      agent_id: agent.agent.id,
      password_hash: agent.agent.password_hash,
      reason: 'changed',
      created_at: new Date(Date.now() - 31 * 86_400_000),
    });
    const { cookie } = { cookie: await signIn(t, 'ann.example@bank.test', STRONG) };
    const api = as(t, cookie);
    expect((await api.get('/api/agent/password').expect(200)).body.status).toBe('expired');
    const res = await api.get('/api/transcripts').expect(403);
    expect(res.body.error.id).toBe('password_change_required');
    const changed = await api
      .post('/api/agent/password', { currentPassword: STRONG, newPassword: STRONG_2 })
      .expect(200);
    const fresh = as(t, cookieFrom(changed));
    expect((await fresh.get('/api/agent/password').expect(200)).body.status).toBe('ok');
    await fresh.get('/api/transcripts').expect(200);
  });
});
