import type { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

/** A fixed window of `points` per `seconds`, and `burst` more over `burstWindows` windows. */
export interface LimitRule {
  points: number;
  seconds: number;
  burst: number;
}

/** The outcome of one counted attempt for one subject. */
export interface LimitVerdict {
  allowed: boolean;
  /** When refused: milliseconds before an attempt can pass again. */
  msBeforeNext: number;
}

/** Counts attempts per named rule and subject key. */
export interface LimitCounter {
  consume(rule: string, key: string): Promise<LimitVerdict>;
  /** True while the counts are shared by every app process (Redis is reachable). */
  shared(): boolean;
}

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

function limiterFor(
  rule: LimitRule,
  burstWindows: number,
  keyPrefix: string,
  redis: Redis | null,
): Consumer {
  const steady = counterFor(rule, keyPrefix, redis);
  if (rule.burst === 0) return steady;
  const burst = counterFor(
    { points: rule.burst, seconds: rule.seconds * burstWindows, burst: 0 },
    `${keyPrefix}:burst`,
    redis,
  );
  return new BurstyRateLimiter(steady, burst);
}

/** One counter per named rule; `prefix` keeps Parley's keys apart in a shared Redis. */
export function limitCounter(
  rules: ReadonlyMap<string, LimitRule>,
  burstWindows: number,
  redis: Redis | null,
  prefix: string,
): LimitCounter {
  const limiters = new Map<string, Consumer>();
  for (const [name, rule] of rules) {
    limiters.set(name, limiterFor(rule, burstWindows, `${prefix}rl:${name}`, redis));
  }
  return {
    async consume(name: string, key: string): Promise<LimitVerdict> {
      const limiter = limiters.get(name);
      if (!limiter) throw new Error(`unknown limit ${name}`);
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
