import { stat } from 'node:fs/promises';
import { knexOf } from './db.ts';
import { blobPath, storedBlobNames } from './fileStore.ts';
import type { Store } from './store.ts';
import { isReadOnly } from './replication.ts';

// Issue 15: which stored files' blobs have reached the standby site (dr_file_shipments, written
// on the primary, replicated), and how far the files volume lags the database on either side.

export interface FileToShip {
  id: number;
  storageKey: string;
}

export interface FilesLag {
  /** Stored files whose blob has not been shipped to the standby (the same count on both sides). */
  unshipped: number;
  /** When the oldest of those was stored; null when there is none. */
  oldestUnshippedAt: Date | null;
  /** Files whose row is in this side's database but whose blob is not in this side's store. */
  missingHere: number;
  /** The ids of the first few of those files. */
  missingExamples: string[];
}

const PAGE = 5000;
const EXAMPLES = 5;

export function fileShipmentsRepo(store: Store) {
  const db = knexOf(store);
  const notShipped = () =>
    db('files as f')
      .leftJoin('dr_file_shipments as s', 's.storage_key', 'f.storage_key')
      .whereNull('s.storage_key');
  return {
    /** Whether this side's database takes writes: a standby's is read-only (replication.ts). */
    writable: async (): Promise<boolean> => !(await isReadOnly(db)),

    /** The id of the newest stored file (0: none). */
    async newestId(): Promise<number> {
      const row = await db('files').first<{ id: number | null } | undefined>(
        db.raw('MAX(id) AS id'),
      );
      return Number(row?.id ?? 0);
    },

    /** Stored files not shipped yet, oldest first, after the file `afterId` (keyset pages). */
    async unshipped(afterId: number, limit: number): Promise<FileToShip[]> {
      const rows = await notShipped()
        .where('f.id', '>', afterId)
        .orderBy('f.id')
        .limit(limit)
        .select<{ id: number; storage_key: string }[]>('f.id', 'f.storage_key');
      return rows.map((row) => ({ id: Number(row.id), storageKey: row.storage_key }));
    },

    /** How many stored files are not shipped yet, and when the oldest of them was stored. */
    async pending(): Promise<{ count: number; oldest: Date | null }> {
      const row = await notShipped().first<{ n: number | string; oldest: Date | null }>(
        db.raw('COUNT(*) AS n'),
        db.raw('MIN(f.created_at) AS oldest'),
      );
      return { count: Number(row?.n ?? 0), oldest: row?.oldest ?? null };
    },

    /** Records a blob written whole on the standby (again, harmlessly, if it was already). */
    async shipped(storageKey: string, bytes: number): Promise<void> {
      await db('dr_file_shipments')
        .insert({ storage_key: storageKey, bytes, shipped_at: new Date() })
        .onConflict('storage_key')
        .merge();
    },

    /** Shipped blobs whose file is gone (retention, erasure): the standby's copy is to go too. */
    orphaned: (limit: number): Promise<string[]> =>
      db('dr_file_shipments as s')
        .leftJoin('files as f', 'f.storage_key', 's.storage_key')
        .whereNull('f.id')
        .orderBy('s.storage_key')
        .limit(limit)
        .pluck('s.storage_key'),

    /** Drops the shipment rows of blobs removed from the standby. */
    async forget(storageKeys: string[]): Promise<void> {
      if (storageKeys.length > 0)
        await db('dr_file_shipments').whereIn('storage_key', storageKeys).delete();
    },

    /** Every file's id and blob name, a page at a time in id order. */
    stored: (afterId: number, limit: number): Promise<{ id: number; storage_key: string }[]> =>
      db('files').where('id', '>', afterId).orderBy('id').limit(limit).select('id', 'storage_key'),
  };
}

/**
 * How far the files volume lags: what the primary has not shipped, and which files this side's
 * store lacks. The store is listed once, then the files are read a page at a time; a file the
 * listing lacks is looked for once more (it may have been stored meanwhile) before it counts.
 */
export async function filesLag(store: Store, filesDir: string): Promise<FilesLag> {
  const repo = fileShipmentsRepo(store);
  const pending = await repo.pending();
  const present = await storedBlobNames(filesDir);
  let missingHere = 0;
  const missingExamples: string[] = [];
  for (let afterId = 0; ;) {
    const page = await repo.stored(afterId, PAGE);
    for (const row of page) {
      if (present.has(row.storage_key)) continue;
      if (await stat(blobPath(filesDir, row.storage_key)).catch(() => null)) continue;
      missingHere += 1;
      if (missingExamples.length < EXAMPLES) missingExamples.push(String(row.id));
    }
    if (page.length < PAGE) break;
    afterId = Number(page[page.length - 1]!.id);
  }
  return {
    unshipped: pending.count,
    oldestUnshippedAt: pending.oldest,
    missingHere,
    missingExamples,
  };
}
