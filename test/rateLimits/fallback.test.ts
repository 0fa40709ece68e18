import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { capturingLogger, signIn, startTestParley, type TestParley } from '../harness/parley.ts';
import { fromHttp, privateRedis, type Outcome, type PrivateRedis } from './helpers.ts';

// Redis is optional: not configured, or down, the limits are counted in the process's memory; it is
// said once in the log and in /readyz, which stays ready. The Redis stopped here is the test's own.

let db: Db;
beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
});
afterAll(() => db.destroy());

const RULE = { PARLEY_RATE_TOKEN_PER_ADDRESS: '3/60s', PARLEY_TRUSTED_PROXIES: '127.0.0.1' };

/** Four token requests from one address (through the trusted proxy): the fourth is refused. */
async function fourFrom(t: TestParley, address: string): Promise<boolean[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < 4; i += 1) {
    const res = await t.http().post('/api/visitor/token').set('X-Forwarded-For', address).send({});
    outcomes.push(fromHttp(res));
  }
  return outcomes.map((o) => o.limited);
}

interface Readiness {
  status: string;
  checks: { redis: { state: string; limits: string } };
}
const readiness = async (t: TestParley) =>
  (await t.http().get('/readyz').expect(200)).body as Readiness;

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

describe('without Redis configured', () => {
  it('counts in memory, says so once, and reports it in /readyz', async () => {
    const { log, lines } = capturingLogger();
    const t = await startTestParley({ ...RULE, PARLEY_REDIS_URL: '' }, log);
    try {
      expect(await fourFrom(t, '192.0.2.10')).toEqual([false, false, false, true]);
      expect(await readiness(t)).toMatchObject({
        status: 'ready',
        checks: { redis: { state: 'not_configured', limits: 'process' } },
      });
      expect(lines.filter((line) => line.includes('PARLEY_REDIS_URL is not set'))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});

describe('when Redis goes down and comes back', () => {
  let redis: PrivateRedis;
  let t: TestParley;
  const { log, lines } = capturingLogger();
  beforeAll(async () => {
    redis = await privateRedis();
    await redis.start();
    t = await startTestParley(
      { ...RULE, PARLEY_REDIS_URL: redis.url, PARLEY_REDIS_PASSWORD_FILE: redis.passwordFile },
      log,
    );
    await until('redis connected', async () => (await readiness(t)).checks.redis.state === 'up');
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('falls back to this process memory, stays ready, and logs the outage once', async () => {
    expect(await readiness(t)).toMatchObject({
      checks: { redis: { state: 'up', limits: 'shared' } },
    });
    expect(await fourFrom(t, '192.0.2.20')).toEqual([false, false, false, true]);

    await redis.stop();
    await until(
      'redis reported down',
      async () => (await readiness(t)).checks.redis.state === 'down',
    );
    expect(await readiness(t)).toMatchObject({
      status: 'ready',
      checks: { redis: { state: 'down', limits: 'process' } },
    });
    // Counted in memory now: still limited, with no wait on the dead connection.
    const started = performance.now();
    expect(await fourFrom(t, '192.0.2.21')).toEqual([false, false, false, true]);
    expect(performance.now() - started).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // several reconnect attempts fail
    expect(await fourFrom(t, '192.0.2.22')).toEqual([false, false, false, true]);
    const outage = lines.filter((line) => line.includes('redis unreachable'));
    expect(outage).toHaveLength(1);
    expect(outage[0]).not.toContain('password');

    const { agent, password } = await createAgent(db, { role: 'admin' });
    const cookie = await signIn(t, agent.email, password);
    const report = (await t.http().get('/api/rate-limits').set('Cookie', cookie).expect(200)).body;
    expect(report).toMatchObject({ counting: 'process', redis: 'down' });
    expect(report.limits.find((l: { id: string }) => l.id === 'token').refused.address).toBe(3);
  });

  it('goes back to Redis when it is reachable again, and says so', async () => {
    await redis.start();
    await until('redis back', async () => (await readiness(t)).checks.redis.state === 'up');
    expect(lines.filter((line) => line.includes('redis connected'))).toHaveLength(2);
    expect(await fourFrom(t, '192.0.2.30')).toEqual([false, false, false, true]);
    // The refusals counted in memory during the outage went to Redis with the next write.
    await t.parley.services.rateLimits.flush();
    const report = await t.parley.services.rateLimits.report(1);
    expect(report.counting).toBe('shared');
    expect(report.limits.find((l) => l.id === 'token')!.refused.address).toBe(4);
  });
});
