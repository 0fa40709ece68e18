import type { RateLimitView, RefusalHourView } from '../../shared/protocol.ts';
import { RefusalTally as Tally, bump, type RefusalBucket } from '../../storage/refusalTally.ts';
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

export {
  BUCKET_MS,
  KEEP_HOURS,
  NETWORKS_PER_BUCKET,
  bucketOf,
  type RefusalBucket,
} from '../../storage/refusalTally.ts';

export const countKey = (limit: LimitId, dimension: Dimension) => `${limit}.${dimension}`;

/** Refusals not yet written to the store, counted per limit and dimension. */
export class RefusalTally extends Tally {
  addRefusal(now: number, limit: LimitId, dimensions: readonly Dimension[], network: string): void {
    this.add(
      now,
      dimensions.map((dimension) => countKey(limit, dimension)),
      network,
    );
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
