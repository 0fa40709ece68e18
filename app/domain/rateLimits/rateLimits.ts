import type { RateLimitsResponse } from '../../shared/protocol.ts';
import { errors } from '../errors.ts';
import { describeError, type Logger } from '../../log.ts';
import {
  describeLimit,
  retryAfterSeconds,
  type Dimension,
  type LimitId,
  type LimitPolicy,
} from './limits.ts';
import type { LimitCounter, LimitVerdict } from '../../storage/rateLimiters.ts';
import type { RefusalStore } from '../../storage/refusalCounts.ts';
import { BUCKET_MS, RefusalTally, bucketOf, countKey, refusalReport } from './refusals.ts';
import { addressSubject, offenderNetwork, subjectKeys } from './subjects.ts';

// The visitor limits as one service: the rules and keys are decided here; counting and keeping the
// refusals is the storage's (app/storage/rateLimiters.ts, refusalCounts.ts: Redis, or memory).

/** Whom an attempt is counted against: always the address, and the visitor when the token is valid. */
export interface LimitSubjects {
  address: string;
  visitorId?: string | null;
}

export interface Refusal {
  limit: LimitId;
  /** What was over its limit: the address, the visitor, or both. */
  dimensions: Dimension[];
  retryAfter: number;
}

export interface RateLimitsDeps {
  policy: LimitPolicy;
  counter: LimitCounter;
  refusals: RefusalStore;
  secretKey: Buffer;
  log: Logger;
  redis: () => RateLimitsResponse['redis'];
  now?: () => number;
}

export function rateLimits(deps: RateLimitsDeps) {
  const now = deps.now ?? Date.now;
  const keyOf = subjectKeys(deps.secretKey);
  const tally = new RefusalTally();
  let lastFailureLog = 0;

  /** One log line at most per minute when counting itself fails; the attempt is then let through. */
  function counterFailed(error: unknown): null {
    if (now() - lastFailureLog > 60_000) {
      lastFailureLog = now();
      deps.log.error({ err: describeError(error) }, 'rate limit counting failed; attempts pass');
    }
    return null;
  }

  /** Counts one attempt; null when it may proceed, else which limit refused it and for how long. */
  async function check(limit: LimitId, who: LimitSubjects): Promise<Refusal | null> {
    const subjects: [Dimension, string][] = [['address', addressSubject(who.address)]];
    if (who.visitorId) subjects.push(['visitor', who.visitorId]);
    let verdicts: LimitVerdict[];
    try {
      verdicts = await Promise.all(
        subjects.map(([dimension, subject]) =>
          deps.counter.consume(countKey(limit, dimension), keyOf(dimension, subject)),
        ),
      );
    } catch (error) {
      return counterFailed(error);
    }
    const refused = subjects.flatMap(([dimension], index) =>
      verdicts[index]!.allowed ? [] : [{ dimension, ms: verdicts[index]!.msBeforeNext }],
    );
    if (refused.length === 0) return null;
    const dimensions = refused.map((item) => item.dimension);
    tally.addRefusal(now(), limit, dimensions, offenderNetwork(who.address));
    const retryAfter = retryAfterSeconds(Math.max(...refused.map((item) => item.ms)));
    return { limit, dimensions, retryAfter };
  }

  /** Writes the refusals counted so far; they are kept for the next try when the store fails. */
  async function flush(): Promise<void> {
    tally.prune(now());
    if (tally.empty) return;
    const buckets = tally.drain();
    try {
      await deps.refusals.add(buckets);
    } catch (error) {
      tally.merge(buckets);
      throw error;
    }
  }

  return {
    policy: deps.policy,
    check,

    /** Like check, but a refusal is thrown as `too_many_requests` (HTTP 429 with Retry-After). */
    async enforce(limit: LimitId, who: LimitSubjects): Promise<void> {
      const refusal = await check(limit, who);
      if (refusal) throw refusalError(refusal);
    },

    /** Counts a refusal made without counting an attempt (an address already known to be over). */
    countRefusal(limit: LimitId, address: string, dimensions: readonly Dimension[]): void {
      tally.addRefusal(now(), limit, dimensions, offenderNetwork(address));
    },

    flush,

    flushPeriodically(ms = 5000): () => void {
      const timer = setInterval(() => {
        flush().catch(() => undefined); // kept and retried; the store's outage is logged there
      }, ms);
      timer.unref();
      return () => clearInterval(timer);
    },

    /** The last `hours` hours of refusals, with the rules, for Admin › Visitor limits. */
    async report(hours: number): Promise<RateLimitsResponse> {
      await flush().catch(() => undefined);
      const to = bucketOf(now());
      const from = to - (hours - 1) * BUCKET_MS;
      const buckets = await deps.refusals.read(from, to);
      return {
        counting: deps.counter.shared() ? 'shared' : 'process',
        redis: deps.redis(),
        from: new Date(from).toISOString(),
        to: new Date(to + BUCKET_MS).toISOString(),
        ...refusalReport(deps.policy, buckets),
      };
    },
  };
}

export type RateLimits = ReturnType<typeof rateLimits>;

export function refusalError(refusal: Refusal) {
  return errors.limitReached(describeLimit(refusal.limit), refusal.retryAfter);
}
