import type { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { LimitCounter, LimitVerdict } from '../domain/rateLimits/rateLimits.ts';
import {
  BURST_WINDOWS,
  DIMENSIONS,
  LIMIT_IDS,
  type Dimension,
  type LimitId,
  type LimitPolicy,
  type LimitRule,
} from '../domain/rateLimits/limits.ts';

// The visitor limits' counters (rate-limiter-flexible): fixed windows in Redis, shared by every app
// process, each with an in-memory "insurance" twin that counts while Redis is unreachable. Without
// Redis configured, memory only.

interface Consumer {
  consume(key: string): Promise<RateLimiterRes>;
}

function counterFor(
  rule: LimitRule,
  keyPrefix: string,
  redis: Redis | null,
): RateLimiterMemory | RateLimiterRedis {
  const options = { points: rule.points, duration: rule.seconds, keyPrefix };
  const memory = new RateLimiterMemory(options);
  if (!redis) return memory;
  return new RateLimiterRedis({
    ...options,
    storeClient: redis,
    insuranceLimiter: memory,
    // Not connected: straight to the insurance limiter, no waiting.
    rejectIfRedisNotReady: true,
    // Once a key is over its limit, this process refuses it from memory until its window ends:
    // a flood costs no Redis round trips (the window is the same in every process).
    inMemoryBlockOnConsumed: rule.points + 1,
  });
}

function limiterFor(rule: LimitRule, keyPrefix: string, redis: Redis | null): Consumer {
  const steady = counterFor(rule, keyPrefix, redis);
  if (rule.burst === 0) return steady;
  const burst = counterFor(
    { points: rule.burst, seconds: rule.seconds * BURST_WINDOWS, burst: 0 },
    `${keyPrefix}:burst`,
    redis,
  );
  return new BurstyRateLimiter(steady, burst);
}

/** One counter per limit and dimension; `prefix` keeps Parley's keys apart in a shared Redis. */
export function limitCounter(
  policy: LimitPolicy,
  redis: Redis | null,
  prefix: string,
): LimitCounter {
  const limiters = new Map<string, Consumer>();
  for (const limit of LIMIT_IDS) {
    for (const dimension of DIMENSIONS) {
      const name = `${limit}.${dimension}`;
      limiters.set(name, limiterFor(policy[limit][dimension], `${prefix}rl:${name}`, redis));
    }
  }
  return {
    async consume(limit: LimitId, dimension: Dimension, key: string): Promise<LimitVerdict> {
      const limiter = limiters.get(`${limit}.${dimension}`);
      if (!limiter) throw new Error(`unknown limit ${limit}.${dimension}`);
      try {
        const result = await limiter.consume(key);
        return { allowed: true, msBeforeNext: result.msBeforeNext };
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes)
          return { allowed: false, msBeforeNext: refusal.msBeforeNext };
        throw refusal;
      }
    },
    shared: () => redis !== null && redis.status === 'ready',
  };
}
