import type { RateLimitView, RefusalHourView } from '../../shared/protocol.ts';
import {
  BURST_WINDOWS,
  DIMENSIONS,
  LIMITS,
  type Dimension,
  type LimitId,
  type LimitPolicy,
} from './limits.ts';

// Admins see refusals as counts per limit and per hour, and the networks refused most; never one log
// line per refused packet. Counts are gathered here in memory and written to the store in batches.

export const BUCKET_MS = 3_600_000;
/** How long the store keeps an hour's counts. */
export const KEEP_HOURS = 168;
/** Per hour, the most networks counted one by one; beyond that they are counted as `other`. */
export const NETWORKS_PER_BUCKET = 1000;

export interface RefusalBucket {
  /** Start of the hour, in ms since the epoch. */
  at: number;
  /** Refusals by `<limit>.<dimension>`. */
  counts: Record<string, number>;
  /** Refusals by offending network (offenderNetwork()). */
  networks: Record<string, number>;
}

export const bucketOf = (ms: number) => Math.floor(ms / BUCKET_MS) * BUCKET_MS;
export const countKey = (limit: LimitId, dimension: Dimension) => `${limit}.${dimension}`;

function bump(map: Record<string, number>, key: string, by: number): void {
  map[key] = (map[key] ?? 0) + by;
}

/** Refusals not yet written to the store. */
export class RefusalTally {
  #buckets = new Map<number, RefusalBucket>();

  add(now: number, limit: LimitId, dimensions: readonly Dimension[], network: string): void {
    const bucket = this.#bucket(bucketOf(now));
    for (const dimension of dimensions) bump(bucket.counts, countKey(limit, dimension), 1);
    this.#count(bucket, network, 1);
  }

  /** Takes everything counted so far; `merge` puts it back when the write failed. */
  drain(): RefusalBucket[] {
    const buckets = [...this.#buckets.values()];
    this.#buckets.clear();
    return buckets;
  }

  merge(buckets: readonly RefusalBucket[]): void {
    for (const incoming of buckets) {
      const bucket = this.#bucket(incoming.at);
      for (const [key, count] of Object.entries(incoming.counts)) bump(bucket.counts, key, count);
      for (const [network, count] of Object.entries(incoming.networks))
        this.#count(bucket, network, count);
    }
  }

  /** Drops hours older than the store keeps, so an unreachable store cannot make this grow. */
  prune(now: number): void {
    const oldest = bucketOf(now) - KEEP_HOURS * BUCKET_MS;
    for (const at of this.#buckets.keys()) if (at < oldest) this.#buckets.delete(at);
  }

  get empty(): boolean {
    return this.#buckets.size === 0;
  }

  #bucket(at: number): RefusalBucket {
    let bucket = this.#buckets.get(at);
    if (!bucket) {
      bucket = { at, counts: {}, networks: {} };
      this.#buckets.set(at, bucket);
    }
    return bucket;
  }

  #count(bucket: RefusalBucket, network: string, by: number): void {
    const known = Object.hasOwn(bucket.networks, network);
    const full = Object.keys(bucket.networks).length >= NETWORKS_PER_BUCKET;
    bump(bucket.networks, known || !full ? network : 'other', by);
  }
}

export interface RefusalReport {
  limits: RateLimitView[];
  hours: RefusalHourView[];
  topNetworks: { network: string; refused: number }[];
}

/** The admin's view of some hours of refusals: per hour, per limit, and the top networks. */
export function refusalReport(
  policy: LimitPolicy,
  buckets: readonly RefusalBucket[],
  top = 10,
): RefusalReport {
  const byHour = new Map<number, Record<string, number>>();
  const totals: Record<string, number> = {};
  const networks: Record<string, number> = {};
  for (const bucket of buckets) {
    if (Object.keys(bucket.counts).length === 0) continue; // an hour without refusals
    const hour = byHour.get(bucket.at) ?? {};
    byHour.set(bucket.at, hour);
    for (const [key, count] of Object.entries(bucket.counts)) {
      bump(hour, key, count);
      bump(totals, key, count);
    }
    for (const [network, count] of Object.entries(bucket.networks)) bump(networks, network, count);
  }
  const rule = (id: LimitId, dimension: Dimension) => {
    const { points, seconds, burst } = policy[id][dimension];
    return { points, seconds, burst, burstSeconds: seconds * BURST_WINDOWS };
  };
  return {
    limits: LIMITS.map(({ id, label }) => ({
      id,
      label,
      perAddress: rule(id, 'address'),
      perVisitor: rule(id, 'visitor'),
      refused: Object.fromEntries(
        DIMENSIONS.map((dimension) => [dimension, totals[countKey(id, dimension)] ?? 0]),
      ) as Record<Dimension, number>,
    })),
    hours: [...byHour]
      .sort(([a], [b]) => b - a)
      .map(([at, refused]) => ({ at: new Date(at).toISOString(), refused })),
    topNetworks: Object.entries(networks)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .slice(0, top)
      .map(([network, refused]) => ({ network, refused })),
  };
}
