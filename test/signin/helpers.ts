import { Secret, TOTP } from 'otpauth';
import type { Response } from 'supertest';
import {
  solveCaptcha,
  type CaptchaChallenge,
  type CaptchaPayload,
} from '../../ui/shared/captcha.ts';
import type { TestParley } from '../harness/parley.ts';

/**
 * Settings for the sign-in tests: a cheap CAPTCHA (growing to 64 times that) and the default
 * thresholds, except the address's CAPTCHA: these tests make many failures from one address
 * (127.0.0.1) to test the email's defences; captchaCost.test.ts tests the address's.
 */
export const SIGNIN_TEST_ENV = {
  PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER: '2000',
  PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER_CAP: '128000',
  PARLEY_SIGNIN_IP_CAPTCHA_AFTER: '1000',
};

export const cookieOf = (res: Response, name = '__Host-parley_session'): string | undefined =>
  ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((line) => line.split(';')[0]!)
    .find((pair) => pair.startsWith(`${name}=`) && pair.length > name.length + 1);

export function postSignIn(
  t: TestParley,
  body: { email: string; password: string; captcha?: unknown },
  headers: Record<string, string> = {},
) {
  const req = t.http().post('/api/agent/session').set('Origin', t.config.publicOrigin);
  for (const [name, value] of Object.entries(headers)) req.set(name, value);
  return req.send(body);
}

/** A challenge for the next try of this email, as the console asks for one. */
export async function captchaFor(
  t: TestParley,
  email: string,
  headers: Record<string, string> = {},
): Promise<{ challenge: CaptchaChallenge; maxNumber: number }> {
  const req = t.http().post('/api/agent/captcha').set('Origin', t.config.publicOrigin);
  for (const [name, value] of Object.entries(headers)) req.set(name, value);
  const res = await req.send({ email }).expect(200);
  return res.body as { challenge: CaptchaChallenge; maxNumber: number };
}

/** A freshly issued challenge for this email, solved by the console's own solver. */
export async function solvedCaptcha(
  t: TestParley,
  email: string,
  headers: Record<string, string> = {},
): Promise<CaptchaPayload> {
  const { challenge, maxNumber } = await captchaFor(t, email, headers);
  return solveCaptcha(challenge, maxNumber);
}

/** Fails `count` sign-ins for an email with a wrong password, solving CAPTCHAs once they are asked for. */
export async function failSignIns(
  t: TestParley,
  email: string,
  count: number,
  headers: Record<string, string> = {},
) {
  const answers: Response[] = [];
  for (let i = 0; i < count; i += 1) {
    const password = `wrong ${i}`;
    let res = await postSignIn(t, { email, password }, headers);
    if ((res.body as { error?: { id?: string } }).error?.id === 'captcha_required') {
      const captcha = await solvedCaptcha(t, email, headers);
      res = await postSignIn(t, { email, password, captcha }, headers);
    }
    answers.push(res);
  }
  return answers;
}

export const totpFor = (secret: string) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

/** A code for the step after the current one: valid (window ±1) and not yet used. */
export const nextCode = (secret: string, steps = 1) =>
  totpFor(secret).generate({ timestamp: Date.now() + steps * 30_000 });

export const currentCode = (secret: string) => totpFor(secret).generate();

/** Enrols the signed-in agent in TOTP; returns the secret, the recovery codes and the new cookie. */
export async function enrol(t: TestParley, cookie: string) {
  const setup = await t
    .http()
    .post('/api/agent/totp/setup')
    .set('Cookie', cookie)
    .set('Origin', t.config.publicOrigin)
    .send({})
    .expect(200);
  const secret = (setup.body as { secret: string }).secret;
  const code = currentCode(secret);
  const confirmed = await t
    .http()
    .post('/api/agent/totp/confirm')
    .set('Cookie', cookie)
    .set('Origin', t.config.publicOrigin)
    .send({ code })
    .expect(200);
  return {
    secret,
    code,
    setup: setup.body as { secret: string; uri: string; qr: { size: number; path: string } },
    recoveryCodes: (confirmed.body as { recoveryCodes: string[] }).recoveryCodes,
    cookie: cookieOf(confirmed)!,
  };
}
