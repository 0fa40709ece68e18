import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import {
  SIGNIN_TEST_ENV,
  cookieOf,
  enrol,
  failSignIns,
  nextCode,
  postSignIn,
  solvedCaptcha,
} from './helpers.ts';

// Device cookies (OWASP): a browser that signed in to an account before keeps its own allowance
// for that account, so a hostile client behind the same address (one NAT) cannot shut it out.

const DEVICE = '__Host-parley_device';
const OFFICE = '192.0.2.10'; // one NAT: the agents and the hostile client share it
const HOME = '198.51.100.20';

let t: TestParley;
let small: TestParley; // an address limit of 4, so a test reaches it quickly
let db: Db;

const env = {
  ...SIGNIN_TEST_ENV,
  PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER_CAP: '16000', // the flood below solves 40 CAPTCHAs
  PARLEY_SIGNIN_IP_CAPTCHA_AFTER: '10',
  PARLEY_TRUSTED_PROXIES: '127.0.0.1',
  PARLEY_HTTP_REDIRECT: 'false',
};

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(env); // the default address limit: 50 failures per 15 minutes
  small = await startTestParley({ ...env, PARLEY_SIGNIN_IP_MAX_FAILURES: '4' });
});
afterAll(async () => {
  await t.close();
  await small.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));

const at = (address: string, cookie?: string) => ({
  'X-Forwarded-For': address,
  ...(cookie ? { Cookie: cookie } : {}),
});
const errorId = (res: { body: unknown }) =>
  (res.body as { error?: { id?: string } } | null)?.error?.id;
const setCookieLine = (res: { headers: Record<string, unknown> }, name: string) =>
  ([] as string[])
    .concat((res.headers['set-cookie'] as string[] | undefined) ?? [])
    .find((line) => line.startsWith(`${name}=`));

/** Signs in from an address and returns the device cookie the browser was given. */
async function deviceCookieOf(p: TestParley, email: string, password: string, address: string) {
  const res = await postSignIn(p, { email, password }, at(address)).expect(200);
  return cookieOf(res, DEVICE)!;
}

/** A hostile client with no cookie: wrong passwords for made-up emails until the address is refused. */
async function floodFrom(p: TestParley, address: string, count: number) {
  const answers = [];
  for (let i = 0; i < count; i += 1) {
    const [res] = await failSignIns(p, `spray${i}@example.test`, 1, at(address));
    answers.push(res!.status);
  }
  return answers;
}

describe('a browser that signed in before', () => {
  it('still signs in after 50+ failures from its address, while a browser without the cookie is refused', async () => {
    const { agent: admin, password } = await createAgent(db, { role: 'admin' });
    const first = await postSignIn(t, { email: admin.email, password }, at(OFFICE)).expect(200);
    const line = setCookieLine(first, DEVICE)!;
    expect(line).toMatch(/; path=\//);
    expect(line).toMatch(/; samesite=strict/);
    expect(line).toMatch(/; secure/);
    expect(line).toMatch(/; httponly/);
    const expires = Date.parse(/; expires=([^;]+)/.exec(line)![1]!);
    expect(expires - Date.now()).toBeGreaterThan(89 * 86_400_000); // persistent: 90 days
    const device = cookieOf(first, DEVICE)!;
    const value = device.slice(DEVICE.length + 1);
    expect(value).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(value.toLowerCase()).not.toContain(admin.email.split('@')[0]!.toLowerCase());

    const statuses = await floodFrom(t, OFFICE, 55);
    expect(statuses.slice(0, 50)).toEqual(Array(50).fill(401));
    expect(statuses.slice(50)).toEqual(Array(5).fill(429));

    const cookieless = await postSignIn(t, { email: admin.email, password }, at(OFFICE));
    expect(cookieless.status).toBe(429);
    expect(errorId(cookieless)).toBe('rate_limited');

    // No CAPTCHA either: the address's failures do not concern a trusted browser.
    const trusted = await postSignIn(t, { email: admin.email, password }, at(OFFICE, device));
    expect(trusted.status).toBe(200);
    expect(cookieOf(trusted, DEVICE)).toBe(device); // the same cookie, refreshed
    const [entry] = await db('audit_events')
      .where({ action: 'agent.signin', outcome: 'success' })
      .orderBy('id', 'desc')
      .limit(1)
      .select<{ details: unknown }[]>('details');
    const details: unknown = entry!.details;
    expect(typeof details === 'string' ? JSON.parse(details) : details).toMatchObject({
      trustedBrowser: true,
    });
  });

  it('gives nothing to a forged cookie, nor to one issued for another account', async () => {
    const { agent: admin, password } = await createAgent(db, { role: 'admin' });
    const other = await createAgent(db);
    const own = await deviceCookieOf(small, admin.email, password, HOME);
    const others = await deviceCookieOf(small, other.agent.email, other.password, HOME);
    await floodFrom(small, OFFICE, 5);

    const [nonce, tag] = own.slice(DEVICE.length + 1).split('.') as [string, string];
    const forgedTag = `${DEVICE}=${nonce}.${tag.startsWith('A') ? 'B' : 'A'}${tag.slice(1)}`;
    const forgedNonce = `${DEVICE}=${nonce.startsWith('A') ? 'B' : 'A'}${nonce.slice(1)}.${tag}`;
    for (const cookie of [forgedTag, forgedNonce, others, `${DEVICE}=garbage`]) {
      const res = await postSignIn(small, { email: admin.email, password }, at(OFFICE, cookie));
      expect(res.status, cookie).toBe(429);
    }
    // The other agent's cookie works for the other agent only.
    await postSignIn(
      small,
      { email: other.agent.email, password: other.password },
      at(OFFICE, others),
    ).expect(200);
    await postSignIn(small, { email: admin.email, password }, at(OFFICE, own)).expect(200);
  });

  it('has an allowance of its own that is bounded, and the account lock still applies', async () => {
    const { agent, password } = await createAgent(db);
    const device = await deviceCookieOf(small, agent.email, password, HOME);
    await floodFrom(small, OFFICE, 5);

    // Five failures on the browser's own allowance (the address is already refused)…
    for (let i = 0; i < 5; i += 1) {
      const res = await postSignIn(
        small,
        { email: agent.email, password: `wrong ${i}` },
        at(OFFICE, device),
      );
      expect(errorId(res)).toBe('invalid_credentials');
    }
    // …then it is treated like any other browser from that address until its window ends.
    const over = await postSignIn(small, { email: agent.email, password }, at(OFFICE, device));
    expect(over.status).toBe(429);

    await db('signin_devices').update({ window_started_at: new Date(Date.now() - 16 * 60_000) });
    const captcha = await solvedCaptcha(small, agent.email, at(OFFICE, device)); // 5 failures: the email's CAPTCHA
    await postSignIn(small, { email: agent.email, password, captcha }, at(OFFICE, device)).expect(
      200,
    );

    // Ten failures from elsewhere lock the account: the trusted browser is refused like any other.
    for (let i = 0; i < 10; i += 1) {
      await failSignIns(small, agent.email, 1, at(`198.51.100.${30 + i}`));
    }
    const locked = await postSignIn(
      small,
      {
        email: agent.email,
        password,
        captcha: await solvedCaptcha(small, agent.email, at(OFFICE, device)),
      },
      at(OFFICE, device),
    );
    expect(locked.status).toBe(401);
    expect(locked.body.error.message).toMatch(/it may be locked/);
  });

  it('keeps the allowance through the TOTP code step', async () => {
    const { agent, password } = await createAgent(db);
    const first = await postSignIn(small, { email: agent.email, password }, at(HOME)).expect(200);
    const session = cookieOf(first)!;
    const { secret } = await enrol(small, session);
    const device = cookieOf(first, DEVICE)!;
    await floodFrom(small, OFFICE, 5);

    const step = await postSignIn(
      small,
      { email: agent.email, password },
      at(OFFICE, device),
    ).expect(200);
    expect(step.body).toEqual({ next: 'code' });
    const pending = cookieOf(step, '__Host-parley_signin')!;
    await small
      .http()
      .post('/api/agent/session/totp')
      .set('Origin', TEST_ORIGIN)
      .set(at(OFFICE, `${device}; ${pending}`))
      .send({ code: nextCode(secret) })
      .expect(200);
  });
});

describe('a device cookie stops counting', () => {
  it('when the password changes, and when an admin ends one of the agent’s sessions', async () => {
    const { agent, password } = await createAgent(db);
    const admin = await createAgent(db, { role: 'admin' });
    const adminRes = await postSignIn(
      small,
      { email: admin.agent.email, password: admin.password },
      at(HOME),
    ).expect(200);
    const adminSession = cookieOf(adminRes)!;
    const signedIn = await postSignIn(small, { email: agent.email, password }, at(HOME)).expect(
      200,
    );
    const device = cookieOf(signedIn, DEVICE)!;
    await floodFrom(small, OFFICE, 5);
    await postSignIn(small, { email: agent.email, password }, at(OFFICE, device)).expect(200);

    // An admin ends one of the agent's sessions: every browser of the agent loses its trust.
    const sessions = await small
      .http()
      .get(`/api/sessions?agentId=${agent.id}`)
      .set('Cookie', adminSession)
      .expect(200);
    const handle = (sessions.body as { sessions: { handle: string }[] }).sessions[0]!.handle;
    await small
      .http()
      .delete(`/api/sessions/${handle}`)
      .set('Cookie', adminSession)
      .set('Origin', TEST_ORIGIN)
      .expect(204);
    await postSignIn(small, { email: agent.email, password }, at(OFFICE, device)).expect(429);

    // Trusted again after a sign-in; then the agent changes the password.
    const again = await postSignIn(small, { email: agent.email, password }, at(HOME)).expect(200);
    const renewed = cookieOf(again, DEVICE)!;
    expect(renewed).not.toBe(device);
    await postSignIn(small, { email: agent.email, password }, at(OFFICE, renewed)).expect(200);
    const newPassword = 'a much longer passphrase for 2027';
    await small
      .http()
      .post('/api/agent/password')
      .set('Cookie', cookieOf(again)!)
      .set('Origin', TEST_ORIGIN)
      .send({ currentPassword: password, newPassword })
      .expect(200);
    await postSignIn(
      small,
      { email: agent.email, password: newPassword },
      at(OFFICE, renewed),
    ).expect(429);
    expect(await db('signin_devices').where({ agent_id: agent.id })).toEqual([]);
  });
});
