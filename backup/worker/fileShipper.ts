import { stat } from 'node:fs/promises';
import { describeError, type Logger } from '../../app/log.ts';
import { wakeableSleep } from './wakeableSleep.ts';
import type { Db } from '../../app/storage/db.ts';
import { fileShipmentsRepo, type FileToShip } from '../../app/storage/fileShipments.ts';
import { blobPath } from '../../app/storage/fileStore.ts';
import type { Config } from '../../config/load.ts';
import { HostKeyMismatchError } from '../offsite/sftpConnection.ts';
import {
  standbyFiles,
  StandbyFilesError,
  type StandbyFiles,
  type StandbyFilesSettings,
} from '../offsite/standbyFiles.ts';

// Issue 15: the files volume follows the database to the standby. While this site's database is
// writable (it is the primary; roles can swap without a restart, so every page asks), each stored
// blob without a shipment row is sent, oldest first, and then recorded; a shipped blob whose file
// was deleted (retention, erasure) is removed from the standby too.

/** What of dr_file_shipments the shipper uses (app/storage/fileShipments.ts). */
export interface Shipments {
  writable(): Promise<boolean>;
  newestId(): Promise<number>;
  unshipped(afterId: number, limit: number): Promise<FileToShip[]>;
  shipped(storageKey: string, bytes: number): Promise<void>;
  orphaned(limit: number): Promise<string[]>;
  forget(storageKeys: string[]): Promise<void>;
}

export interface ShipperDeps {
  shipments: Shipments;
  standby: StandbyFiles;
  /** Where a blob is in this site's files volume. */
  localBlob(storageKey: string): string;
  log: Logger;
  /** The first wait before a blob that could not be read is tried again; it doubles each time. */
  retryMs: number;
  batch?: number;
  /** How often a round looks at every file, not only the newest (and removes deleted ones). */
  fullPassMs?: number;
  now?: () => number;
}

export interface RoundResult {
  /** Whether this site's database was writable: false on a standby, which ships nothing. */
  primary: boolean;
  shipped: number;
  removed: number;
  /** Blobs not sent this round: missing here, waiting for their retry. */
  deferred: number;
}

const MAX_BLOB_RETRY_MS = 10 * 60_000;
/** How far below the newest file a round looks: ids taken by uploads that had not committed. */
const IN_FLIGHT_IDS = 1000;

export function fileShipper(deps: ShipperDeps) {
  const { shipments, standby, log } = deps;
  const batch = deps.batch ?? 100;
  const now = deps.now ?? Date.now;
  // Blobs that could not be read here, each with its own backoff; the rest go on meanwhile.
  const retries = new Map<string, { failures: number; at: number }>();
  let wasPrimary: boolean | null = null;
  let stopping = false;
  // Rounds between full passes look only at files above `floor` (the newest, when a round began).
  const fullPassMs = deps.fullPassMs ?? 60_000;
  let lastFullAt = -Infinity;
  let floor = 0;

  /** Whether this site is the primary now; a standby closes its link to the other site. */
  async function primary(): Promise<boolean> {
    const writable = await shipments.writable();
    if (writable !== wasPrimary) {
      if (writable) log.info({ standby: standby.name }, 'database writable: shipping files');
      else if (wasPrimary !== null)
        log.info('database read-only (this site is the standby): not shipping files');
      wasPrimary = writable;
      lastFullAt = -Infinity; // a new primary starts with a full pass
    }
    if (!writable) await standby.close();
    return writable;
  }

  /** The blob's size, or null (logged, retried later) when it cannot be read here. */
  async function localSize(file: FileToShip): Promise<number | null> {
    try {
      return (await stat(deps.localBlob(file.storageKey))).size;
    } catch (error) {
      const failures = (retries.get(file.storageKey)?.failures ?? 0) + 1;
      const waitMs = Math.min(deps.retryMs * 2 ** failures, MAX_BLOB_RETRY_MS);
      retries.set(file.storageKey, { failures, at: now() + waitMs });
      log.warn(
        { fileId: file.id, err: describeError(error), failures, retryInMs: waitMs },
        'a stored file is not in the files volume here; it cannot be shipped to the standby',
      );
      return null;
    }
  }

  async function removeOrphans(result: RoundResult): Promise<void> {
    for (;;) {
      const gone = await shipments.orphaned(batch);
      for (const name of gone) await standby.remove(name);
      await shipments.forget(gone);
      result.removed += gone.length;
      if (gone.length < batch || stopping) return;
    }
  }

  /** Sends one blob and records it, unless it waits (missing here, or its retry is not due). */
  async function shipOne(file: FileToShip, result: RoundResult): Promise<void> {
    const bytes = (retries.get(file.storageKey)?.at ?? 0) > now() ? null : await localSize(file);
    if (bytes === null) {
      result.deferred += 1;
      return;
    }
    await standby.send(deps.localBlob(file.storageKey), file.storageKey, bytes);
    await shipments.shipped(file.storageKey, bytes);
    retries.delete(file.storageKey);
    result.shipped += 1;
  }

  return {
    /**
     * Ships what is unshipped, in pages of `batch`: the newest files each round, every file (and
     * the standby's copies of deleted ones removed) once per full pass.
     */
    async round(): Promise<RoundResult> {
      const result: RoundResult = { primary: false, shipped: 0, removed: 0, deferred: 0 };
      if (!(await primary())) return result;
      result.primary = true;
      const full = now() - lastFullAt >= fullPassMs;
      const newest = await shipments.newestId();
      const seen = new Set<string>();
      for (let afterId = full ? 0 : floor; ;) {
        const page = await shipments.unshipped(afterId, batch);
        for (const file of page) {
          if (stopping) return result;
          seen.add(file.storageKey);
          await shipOne(file, result);
        }
        if (page.length < batch) break;
        afterId = page[page.length - 1]!.id;
        if (stopping || !(await primary())) return result;
      }
      // Files stored from now on have higher ids, but for uploads committing meanwhile (a few).
      floor = Math.max(0, newest - IN_FLIGHT_IDS);
      if (full && !stopping) {
        lastFullAt = now();
        // A waiting blob no longer listed had its file deleted.
        for (const key of retries.keys()) if (!seen.has(key)) retries.delete(key);
        await removeOrphans(result);
      }
      return result;
    },
    /** Makes a round in progress end after the blob it is sending. */
    stop(): void {
      stopping = true;
    },
    close: () => standby.close(),
  };
}

export type FileShipper = ReturnType<typeof fileShipper>;

export interface LoopOptions {
  intervalMs: number;
  log: Logger;
  /** The longest wait between rounds after failures (they double from the interval). */
  maxBackoffMs?: number;
  /** The wait after the standby presented another host key: a permanent error, retried slowly. */
  hostKeyRetryMs?: number;
}

/** Runs rounds until stopped: every interval, with backoff after a failed round. */
export function runFileShipper(shipper: FileShipper, options: LoopOptions) {
  const { intervalMs, log } = options;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const hostKeyRetryMs = options.hostKeyRetryMs ?? 5 * 60_000;
  let stopped = false;
  const { sleep, wake } = wakeableSleep();

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      let delay = intervalMs;
      try {
        const result = await shipper.round();
        if (failures > 0) log.info({ after: failures }, 'file shipping to the standby works again');
        failures = 0;
        if (result.shipped > 0 || result.removed > 0) log.debug(result, 'file shipping round');
      } catch (error) {
        failures += 1;
        await shipper.close();
        if (error instanceof HostKeyMismatchError) {
          delay = hostKeyRetryMs;
          log.error(
            { problem: error.message, retryInMs: delay },
            'FILE SHIPPING STOPPED: the standby is not the host whose key is pinned (PARLEY_DR_FILES_SFTP_HOST_KEY); no file is shipped until this is resolved',
          );
        } else {
          delay = Math.min(intervalMs * 2 ** failures, maxBackoffMs);
          // The standby's own messages say what is wrong; other errors (SQL) only by kind.
          const problem = error instanceof StandbyFilesError ? error.message : undefined;
          log.warn(
            { err: describeError(error), problem, failures, retryInMs: delay },
            'could not ship files to the standby; retrying',
          );
        }
      }
      if (!stopped) await sleep(delay);
    }
    await shipper.close();
  })();

  return {
    /** Ends the loop after the blob being sent, and closes the connection. */
    async stop(): Promise<void> {
      stopped = true;
      shipper.stop();
      wake();
      await loop;
    },
  };
}

/** The worker's shipper, from the configuration (standbyFilesSettings): started, with its stop. */
export function startFileShipping(
  config: Config,
  db: Db,
  standby: StandbyFilesSettings,
  log: Logger,
) {
  const intervalMs = config.env.PARLEY_DR_FILES_SHIP_INTERVAL_MS;
  const shipper = fileShipper({
    shipments: fileShipmentsRepo(db),
    standby: standbyFiles(standby),
    localBlob: (storageKey) => blobPath(config.env.PARLEY_FILES_DIR, storageKey),
    log,
    retryMs: intervalMs,
  });
  return runFileShipper(shipper, { intervalMs, log });
}
