import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { passwordHasher } from '../../app/domain/passwords.ts';
import { addressKey, signinDefences } from '../../app/domain/signin/defences.ts';
import { signinFailuresRepo } from '../../app/storage/signinFailures.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';
import { SIGNIN_TEST_ENV, cookieOf, failSignIns, postSignIn, solvedCaptcha } from './helpers.ts';

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

interface AuditRowView {
  outcome: string;
  details: unknown;
  target_id: string;
}

const audits = async (action: string) => {
  const rows = await db('audit_events')
    .where('action', action)
    .orderBy('id')
    .select<AuditRowView[]>('outcome', 'details', 'target_id');
  return rows.map((row) => ({
    ...row,
    details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<
      string,
      unknown
    >,
  }));
};

const errorId = (res: { body: unknown }) =>
  (res.body as { error?: { id?: string } } | null)?.error?.id;

describe('CAPTCHA after repeated failures', () => {
  it('asks for a CAPTCHA from the 6th try, refuses a missing, wrong or replayed one, accepts a solved one', async () => {
    const { agent, password } = await createAgent(db);
    const first = await failSignIns(t, agent.email, 5);
    expect(first.map(errorId)).toEqual(Array(5).fill('invalid_credentials'));

    const missing = await postSignIn(t, { email: agent.email, password }).expect(401);
    expect(missing.body.error.id).toBe('captcha_required');
    expect(cookieOf(missing)).toBeUndefined();

    const solved = await solvedCaptcha(t, agent.email);
    const key = solved.solution.derivedKey;
    const tampered = {
      ...solved,
      solution: {
        ...solved.solution,
        derivedKey: `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`,
      },
    };
    const wrong = await postSignIn(t, { email: agent.email, password, captcha: tampered });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.id).toBe('captcha_invalid');
    const forged = await postSignIn(t, {
      email: agent.email,
      password,
      captcha: { ...solved, challenge: { ...solved.challenge, signature: 'ab'.repeat(32) } },
    });
    expect(forged.body.error.id).toBe('captcha_invalid');

    const ok = await postSignIn(t, { email: agent.email, password, captcha: solved }).expect(200);
    expect(cookieOf(ok)).toBeDefined();
    // Success resets the count: the next sign-in needs no CAPTCHA, and a solution is good once.
    await postSignIn(t, { email: agent.email, password }).expect(200);
    await failSignIns(t, agent.email, 5);
    const replay = await postSignIn(t, { email: agent.email, password, captcha: solved });
    expect(replay.body.error.id).toBe('captcha_invalid');

    const reasons = (await audits('agent.signin')).map((row) => row.details.reason);
    expect(reasons).toEqual(expect.arrayContaining(['bad_password', 'captcha_required']));
    expect(reasons).toContain('captcha_invalid');
  });

  it('rejects a malformed CAPTCHA payload with a clear error', async () => {
    const res = await postSignIn(t, {
      email: 'a@example.test',
      password: 'x',
      captcha: { challenge: 'nope' },
    }).expect(400);
    expect(res.body.error.id).toBe('invalid_input');
    expect(res.body.error.message).toMatch(/captcha/);
  });
});

describe('lockout', () => {
  it('locks after the 10th failure, refuses even the right password, and tells the person what to do', async () => {
    const { agent, password } = await createAgent(db);
    const answers = await failSignIns(t, agent.email, 10);
    expect(answers[8]!.body.error.message).toBe('The email or password is incorrect.');
    expect(answers[9]!.body.error.id).toBe('invalid_credentials');
    expect(answers[9]!.body.error.message).toMatch(
      /it may be locked; try again later or ask an administrator/,
    );

    const locked = await postSignIn(t, {
      email: agent.email,
      password,
      captcha: await solvedCaptcha(t, agent.email),
    }).expect(401);
    expect(locked.body.error).toEqual(answers[9]!.body.error);
    expect(cookieOf(locked)).toBeUndefined();

    const lockouts = await audits('agent.lockout');
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]!.target_id).toBe(String(agent.id));
    const reasons = (await audits('agent.signin')).map((row) => row.details.reason);
    expect(reasons.at(-1)).toBe('locked');
    expect(JSON.stringify(await db('audit_events').select('details'))).not.toContain(password);
  });

  it('expires after the lock time (stored time moved back), and the next try still needs a CAPTCHA', async () => {
    const { agent, password } = await createAgent(db);
    await failSignIns(t, agent.email, 10);
    await db('signin_attempts').update({ locked_until: new Date(Date.now() - 1000) });
    const res = await postSignIn(t, { email: agent.email, password }).expect(401);
    expect(res.body.error.id).toBe('captcha_required');
    await postSignIn(t, {
      email: agent.email,
      password,
      captcha: await solvedCaptcha(t, agent.email),
    }).expect(200);
  });

  it('expires by the clock: an injected clock walks past the lock', async () => {
    let clock = new Date('2026-11-22T10:00:00Z');
    const policy = {
      captchaAfter: 2,
      lockAfter: 3,
      lockMinutes: 30,
      addressMaxFailures: 100,
      addressWindowMinutes: 15,
      addressCaptchaAfter: 100,
      captchaStart: 1000,
      captchaCap: 8000,
    };
    const defences = signinDefences(
      signinFailuresRepo(db),
      t.config.secretKey,
      policy,
      () => clock,
    );
    let standing = await defences.standing('someone@example.test');
    for (let i = 0; i < 3; i += 1) standing = (await defences.failed(standing, null)).standing;
    standing = await defences.standing('someone@example.test');
    expect(defences.isLocked(standing)).toBe(true);
    clock = new Date(clock.getTime() + 29 * 60_000);
    expect(defences.isLocked(await defences.standing('someone@example.test'))).toBe(true);
    clock = new Date(clock.getTime() + 61_000);
    standing = await defences.standing('someone@example.test');
    expect(defences.isLocked(standing)).toBe(false);
    expect(defences.needsCaptcha(standing)).toBe(true);
    // One more failure after expiry counts from the CAPTCHA threshold: it locks again.
    expect((await defences.failed(standing, null)).locksNow).toBe(true);
  });

  it('an admin unlocks the account (security.manage), and it is audited', async () => {
    const { agent, password } = await createAgent(db);
    const admin = await createAgent(db, { role: 'admin' });
    const adminCookie = await signIn(t, admin.agent.email, admin.password);
    await failSignIns(t, agent.email, 10);

    const locks = await t.http().get('/api/signin/locks').set('Cookie', adminCookie).expect(200);
    expect(locks.body.locks).toEqual([
      {
        agent: { id: agent.id, name: agent.name, email: agent.email },
        failures: 10,
        lockedUntil: expect.any(String),
      },
    ]);

    const other = await createAgent(db);
    const otherCookie = await signIn(t, other.agent.email, other.password);
    const denied = await t
      .http()
      .post(`/api/agents/${agent.id}/unlock`)
      .set('Cookie', otherCookie)
      .set('Origin', TEST_ORIGIN)
      .send({})
      .expect(403);
    expect(denied.body.error.id).toBe('forbidden');

    const unlocked = await t
      .http()
      .post(`/api/agents/${agent.id}/unlock`)
      .set('Cookie', adminCookie)
      .set('Origin', TEST_ORIGIN)
      .send({})
      .expect(200);
    expect(unlocked.body).toEqual({ unlocked: true });
    await postSignIn(t, { email: agent.email, password }).expect(200);
    const [entry] = await audits('agent.unlock');
    expect(entry).toMatchObject({ outcome: 'success', target_id: String(agent.id) });
  });
});

describe('no account enumeration', () => {
  it('answers an unknown email exactly like a known one, through the CAPTCHA and the lock', async () => {
    const { agent } = await createAgent(db);
    const known = await failSignIns(t, agent.email, 11);
    const unknown = await failSignIns(t, 'nobody@example.test', 11);
    const shape = (res: (typeof known)[number]) => ({ status: res.status, error: res.body.error });
    expect(known.map(shape)).toEqual(unknown.map(shape));
    expect(known.at(-1)!.body.error.message).toMatch(/If this account exists, it may be locked/);

    const needsCaptchaKnown = await postSignIn(t, { email: agent.email, password: 'x' });
    const needsCaptchaUnknown = await postSignIn(t, {
      email: 'nobody@example.test',
      password: 'x',
    });
    expect(shape(needsCaptchaKnown)).toEqual(shape(needsCaptchaUnknown));
    expect(Object.keys(needsCaptchaKnown.headers).sort()).toEqual(
      Object.keys(needsCaptchaUnknown.headers).sort(),
    );
  });

  it('takes about as long for an unknown email as for a known one', async () => {
    // Production-like argon2 cost, so the password hash dominates each answer as it does in real
    // life: skipping it for unknown emails would make them several times faster.
    const argon2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
    const timing = await startTestParley({
      ...SIGNIN_TEST_ENV,
      PARLEY_ARGON2_MEMORY_KIB: String(argon2.memoryCost),
      PARLEY_ARGON2_ITERATIONS: String(argon2.timeCost),
      PARLEY_SIGNIN_CAPTCHA_AFTER: '1000',
      PARLEY_SIGNIN_LOCK_AFTER: '1000',
      PARLEY_SIGNIN_IP_MAX_FAILURES: '1000',
      PARLEY_HTTP_REDIRECT: 'false',
    });
    try {
      const hash = await passwordHasher(argon2).hash('the real password');
      const emails = Array.from({ length: 21 }, (_, i) => `timing${i}@example.test`);
      for (const email of emails) {
        const { agent } = await createAgent(db, { email });
        await db('agents').where({ id: agent.id }).update({ password_hash: hash });
      }
      const timed = async (email: string) => {
        const started = performance.now();
        await postSignIn(timing, { email, password: 'not the password' }).expect(401);
        return performance.now() - started;
      };
      await timed(emails[20]!);
      await timed('warm-up@example.test');
      const knownMs: number[] = [];
      const unknownMs: number[] = [];
      // Interleaved, so a slow moment of the machine hits both sides alike.
      for (let i = 0; i < 20; i += 1) {
        knownMs.push(await timed(emails[i]!));
        unknownMs.push(await timed(`ghost${i}@example.test`));
      }
      // The mean of the middle 16: a test machine's hiccup is not a timing leak.
      const mean = (values: number[]) => {
        const middle = [...values].sort((a, b) => a - b).slice(2, -2);
        return middle.reduce((a, b) => a + b, 0) / middle.length;
      };
      const ratio = mean(knownMs) / mean(unknownMs);
      expect(ratio).toBeGreaterThan(0.67);
      expect(ratio).toBeLessThan(1.5);
    } finally {
      await timing.close();
    }
  });
});

describe('per-address throttling', () => {
  it('answers rate_limited with Retry-After once an address has too many failures, across emails and restarts', async () => {
    const limited = await startTestParley({
      ...SIGNIN_TEST_ENV,
      PARLEY_SIGNIN_IP_MAX_FAILURES: '4',
      PARLEY_HTTP_REDIRECT: 'false',
    });
    const { agent, password } = await createAgent(db);
    try {
      for (let i = 0; i < 4; i += 1) {
        await postSignIn(limited, { email: `spray${i}@example.test`, password: 'x' }).expect(401);
      }
      const refused = await postSignIn(limited, { email: agent.email, password }).expect(429);
      expect(refused.body.error.id).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    } finally {
      await limited.close();
    }
    // The count is in the database: a restarted server still refuses.
    const restarted = await startTestParley({
      ...SIGNIN_TEST_ENV,
      PARLEY_SIGNIN_IP_MAX_FAILURES: '4',
      PARLEY_HTTP_REDIRECT: 'false',
    });
    try {
      await postSignIn(restarted, { email: agent.email, password }).expect(429);
      // Another window: the address may try again.
      await db('signin_address_failures').update({
        window_started_at: new Date(Date.now() - 16 * 60_000),
      });
      await postSignIn(restarted, { email: agent.email, password }).expect(200);
    } finally {
      await restarted.close();
    }
    // Throttle refusals are counted per address and window (refusals.test.ts), not one entry each.
    const [window] = await db('signin_refusal_windows').select('reasons');
    const counted = (
      typeof window.reasons === 'string' ? JSON.parse(window.reasons) : window.reasons
    ) as Record<string, number>;
    expect(counted.rate_limited).toBe(2);
  });

  it('counts a burst of parallel tries exactly: no more password checks than the limits allow', async () => {
    const { agent } = await createAgent(db);
    // One email, twelve guesses at once: five are checked, the rest must solve a CAPTCHA.
    const oneEmail = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        postSignIn(t, { email: agent.email, password: `guess ${i}` }),
      ),
    );
    const ids = oneEmail.map(errorId);
    expect(ids.filter((id) => id === 'invalid_credentials')).toHaveLength(5);
    expect(ids.filter((id) => id === 'captcha_required')).toHaveLength(7);

    // One address, ten emails at once, a limit of four: four are checked, six refused.
    const burst = await startTestParley({
      ...SIGNIN_TEST_ENV,
      PARLEY_SIGNIN_IP_MAX_FAILURES: '4',
      PARLEY_HTTP_REDIRECT: 'false',
    });
    try {
      await truncateAll(db);
      const manyEmails = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          postSignIn(burst, { email: `burst${i}@example.test`, password: 'x' }),
        ),
      );
      const statuses = manyEmails.map((res) => res.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(4);
      expect(statuses.filter((status) => status === 429)).toHaveLength(6);
    } finally {
      await burst.close();
    }
  });

  it('keys IPv6 addresses by their /64 and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb::9'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('unknown')).toBe('unknown');
  });
});
