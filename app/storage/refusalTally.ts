// Refusal counts per hour, gathered in memory before they are written to the store (and kept there
// when Redis is not reachable): app/storage/refusalCounts.ts. What they mean is the domain's
// (app/domain/rateLimits/refusals.ts).

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

/** Refusals not yet written to the store. */
export class RefusalTally {
  #buckets = new Map<number, RefusalBucket>();

  /** One refusal, counted under each of `keys` (`<limit>.<dimension>`) and its network. */
  add(now: number, keys: readonly string[], network: string): void {
    const bucket = this.#bucket(bucketOf(now));
    for (const key of keys) bump(bucket.counts, key, 1);
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

export function bump(map: Record<string, number>, key: string, by: number): void {
  map[key] = (map[key] ?? 0) + by;
}
