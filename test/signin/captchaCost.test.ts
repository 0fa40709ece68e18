import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captchaDemand, type DefencePolicy } from '../../app/domain/signin/defences.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { solveCaptcha } from '../../ui/shared/captcha.ts';
import { SIGNIN_TEST_ENV, captchaFor, failSignIns, postSignIn, solvedCaptcha } from './helpers.ts';

// The CAPTCHA's work doubles with each failure past a threshold — the email's (5 by default) or
// the address's (10) — from PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER up to ..._CAP, and a solution counts
// only if its challenge was issued for at least the work asked for now.

const START = 2000;
const CAP = 128_000; // SIGNIN_TEST_ENV: 64 times the start

let t: TestParley;
let db: Db;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({
    ...SIGNIN_TEST_ENV,
    PARLEY_SIGNIN_IP_CAPTCHA_AFTER: '10',
    // Tests speak for several addresses through X-Forwarded-For, as a proxy in front would.
    PARLEY_TRUSTED_PROXIES: '127.0.0.1',
    PARLEY_HTTP_REDIRECT: 'false',
  });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));

const from = (address: string) => ({ 'X-Forwarded-For': address });
const errorId = (res: { body: unknown }) =>
  (res.body as { error?: { id?: string } } | null)?.error?.id;
const workFor = async (email: string, address: string) =>
  (await captchaFor(t, email, from(address))).maxNumber;

describe('the work a CAPTCHA asks for', () => {
  it('doubles per failure past each threshold, from the start to the cap; a trusted browser ignores the address', () => {
    const policy: DefencePolicy = {
      captchaAfter: 5,
      lockAfter: 10,
      lockMinutes: 30,
      addressMaxFailures: 50,
      addressWindowMinutes: 15,
      addressCaptchaAfter: 10,
      captchaStart: 1000,
      captchaCap: 16_000,
    };
    const demand = (email: number, address: number | null) => captchaDemand(policy, email, address);
    expect(demand(0, 0)).toEqual({ required: false, maxNumber: 1000 });
    expect(demand(4, 9)).toEqual({ required: false, maxNumber: 1000 });
    expect([5, 6, 7, 8, 9, 10, 40].map((n) => demand(n, 0))).toEqual(
      [1000, 2000, 4000, 8000, 16_000, 16_000, 16_000].map((maxNumber) => ({
        required: true,
        maxNumber,
      })),
    );
    expect([10, 11, 13, 14, 200].map((n) => demand(0, n).maxNumber)).toEqual([
      1000, 2000, 8000, 16_000, 16_000,
    ]);
    expect(demand(6, 12)).toEqual({ required: true, maxNumber: 4000 }); // the larger of the two
    expect(demand(0, null)).toEqual({ required: false, maxNumber: 1000 });
    expect(demand(7, null)).toEqual({ required: true, maxNumber: 4000 });
  });

  it("grows with an email's failures, the same for an account that exists and one that does not", async () => {
    const { agent } = await createAgent(db);
    const expected = [START, START, START, START, START, START, 2 * START, 4 * START, 8 * START];
    const seen = { known: [] as number[], unknown: [] as number[] };
    // Each email from its own address, so only the email's failures count.
    for (const [who, email, address] of [
      ['known', agent.email, '198.51.100.1'],
      ['unknown', 'nobody@example.test', '198.51.100.2'],
    ] as const) {
      for (let failures = 0; failures < expected.length; failures += 1) {
        seen[who].push(await workFor(email, address));
        await failSignIns(t, email, 1, from(address));
      }
    }
    expect(seen.known).toEqual(expected);
    expect(seen.unknown).toEqual(expected);
  });

  it("grows with an address's failures across emails, up to the cap, and only for that address", async () => {
    const address = '203.0.113.7';
    const work: number[] = [];
    for (let failures = 0; failures < 20; failures += 1) {
      work.push(await workFor(`fresh${failures}@example.test`, address));
      if (failures === 10) {
        // A fresh email from this address now needs a CAPTCHA, though it never failed itself.
        const res = await postSignIn(
          t,
          { email: 'first.try@example.test', password: 'x' },
          from(address),
        );
        expect(errorId(res)).toBe('captcha_required');
      }
      const [res] = await failSignIns(t, `spray${failures}@example.test`, 1, from(address));
      expect(errorId(res!)).toBe('invalid_credentials');
    }
    const expected = work.map((_, failures) =>
      failures < 10 ? START : Math.min(CAP, START * 2 ** (failures - 10)),
    );
    expect(work).toEqual(expected);
    expect(work.at(-1)).toBe(CAP);
    // Another address starts at the start, and needs no CAPTCHA at all.
    expect(await workFor('fresh@example.test', '203.0.113.8')).toBe(START);
    const other = await postSignIn(
      t,
      { email: 'fresh@example.test', password: 'x' },
      from('203.0.113.8'),
    );
    expect(errorId(other)).toBe('invalid_credentials');
  });
});

describe('a solution for less work than is now asked for', () => {
  it('is refused once failures made the CAPTCHA dearer; a fresh one is accepted', async () => {
    const { agent, password } = await createAgent(db);
    const address = '198.51.100.9';
    await failSignIns(t, agent.email, 5, from(address));
    const cheap = await solvedCaptcha(t, agent.email, from(address));
    expect(cheap.challenge.parameters.data).toEqual({ maxNumber: START });

    await failSignIns(t, agent.email, 1, from(address)); // the 6th failure: twice the work now
    const stale = await postSignIn(
      t,
      { email: agent.email, password, captcha: cheap },
      from(address),
    );
    expect(stale.status).toBe(401);
    expect(errorId(stale)).toBe('captcha_required');
    const [entry] = await db('audit_events')
      .where('action', 'agent.signin')
      .orderBy('id', 'desc')
      .limit(1)
      .select('details');
    const details: unknown = entry.details;
    expect(typeof details === 'string' ? JSON.parse(details) : details).toMatchObject({
      reason: 'captcha_outdated',
    });

    // Claiming more work than was signed breaks the signature.
    const inflated = {
      ...cheap,
      challenge: {
        ...cheap.challenge,
        parameters: { ...cheap.challenge.parameters, data: { maxNumber: 1_000_000 } },
      },
    };
    const forged = await postSignIn(
      t,
      { email: agent.email, password, captcha: inflated },
      from(address),
    );
    expect(errorId(forged)).toBe('captcha_invalid');

    const { challenge, maxNumber } = await captchaFor(t, agent.email, from(address));
    expect(maxNumber).toBe(2 * START);
    const fresh = await solveCaptcha(challenge, maxNumber);
    await postSignIn(t, { email: agent.email, password, captcha: fresh }, from(address)).expect(
      200,
    );
  });
});
