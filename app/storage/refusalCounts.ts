import type { Redis } from 'ioredis';
import {
  BUCKET_MS,
  KEEP_HOURS,
  NETWORKS_PER_BUCKET,
  RefusalTally,
  type RefusalBucket,
} from './refusalTally.ts';

/** Keeps refusal counts per hour. */
export interface RefusalStore {
  add(buckets: readonly RefusalBucket[]): Promise<void>;
  /** The hours from `from` to `to` (bucket starts, inclusive). */
  read(from: number, to: number): Promise<RefusalBucket[]>;
}

// Refusal counts per hour: in Redis (a hash of counts and a sorted set of networks per hour, expiring
// after KEEP_HOURS) so that every app process adds to the same numbers; in this process's memory when
// Redis is not configured or not reachable (sent to Redis once it is back), read back with Redis's.

const TTL_SECONDS = (KEEP_HOURS + 1) * 3600;
/** Per hour, how many of the most refused networks a report reads back. */
const TOP_PER_HOUR = 100;

export function refusalStore(redis: Redis | null, prefix: string): RefusalStore {
  const memory = new RefusalTally();
  const countsKey = (at: number) => `${prefix}refusals:${at / 1000}`;
  const networksKey = (at: number) => `${prefix}refusal-networks:${at / 1000}`;
  const ready = () => redis !== null && redis.status === 'ready';

  async function addToRedis(client: Redis, buckets: readonly RefusalBucket[]): Promise<void> {
    const batch = client.multi();
    for (const bucket of buckets) {
      for (const [key, count] of Object.entries(bucket.counts))
        batch.hincrby(countsKey(bucket.at), key, count);
      for (const [network, count] of Object.entries(bucket.networks))
        batch.zincrby(networksKey(bucket.at), count, network);
      // Keep only the most refused networks, so a botnet cannot grow the set without bound.
      batch.zremrangebyrank(networksKey(bucket.at), 0, -NETWORKS_PER_BUCKET - 1);
      batch.expire(countsKey(bucket.at), TTL_SECONDS);
      batch.expire(networksKey(bucket.at), TTL_SECONDS);
    }
    await batch.exec();
  }

  async function readRedis(client: Redis, from: number, to: number): Promise<RefusalBucket[]> {
    const hours: number[] = [];
    for (let at = from; at <= to; at += BUCKET_MS) hours.push(at);
    const batch = client.pipeline();
    for (const at of hours) {
      batch.hgetall(countsKey(at));
      batch.zrange(networksKey(at), 0, TOP_PER_HOUR - 1, 'REV', 'WITHSCORES');
    }
    const replies = (await batch.exec()) ?? [];
    return hours.map((at, index) => {
      const [countsError, counts] = replies[index * 2] ?? [null, {}];
      const [networksError, flat] = replies[index * 2 + 1] ?? [null, []];
      const failed = countsError ?? networksError;
      if (failed) throw failed instanceof Error ? failed : new Error('redis read failed');
      const networks: Record<string, number> = {};
      const pairs = flat as string[];
      for (let i = 0; i + 1 < pairs.length; i += 2) networks[pairs[i]!] = Number(pairs[i + 1]);
      const numbers = Object.entries(counts as Record<string, string>).map(
        ([key, value]) => [key, Number(value)] as const,
      );
      return { at, counts: Object.fromEntries(numbers), networks };
    });
  }

  return {
    async add(buckets) {
      memory.prune(Date.now());
      memory.merge(buckets);
      if (!ready()) return;
      // What was counted here during an outage goes to Redis with the new counts.
      const pending = memory.drain();
      try {
        await addToRedis(redis!, pending);
      } catch {
        memory.merge(pending); // Redis went away mid-write: kept here, sent next time
      }
    },

    async read(from, to) {
      const local = memory.drain();
      memory.merge(local);
      const kept = local.filter((bucket) => bucket.at >= from && bucket.at <= to);
      if (!ready()) return kept;
      try {
        return [...(await readRedis(redis!, from, to)), ...kept];
      } catch {
        return kept;
      }
    },
  };
}
