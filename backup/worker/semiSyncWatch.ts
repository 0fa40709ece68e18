import type { Knex } from 'knex';
import type { Logger } from '../../app/log.ts';
import type { AuditLog } from '../../app/domain/audit/auditLog.ts';
import { readReplication, type ReplicationState } from '../../app/storage/replication.ts';
import { wakeableSleep } from './wakeableSleep.ts';

// Issue 15: a primary whose standby does not acknowledge within PARLEY_DR_SEMISYNC_TIMEOUT_MS goes on
// asynchronously, and from then on a failover could lose what it commits. make dr-status and the
// metric show it while it lasts; this leaves the record: each change between synchronous and
// asynchronous is an audit entry (`dr.semisync`), written by the worker (one per site, unlike the
// app's processes) while this site is the primary.

const worker = { kind: 'system' as const, label: 'worker' };

/** sync: commits wait for the standby; async: it fell back; off: semi-sync is not enabled here. */
export type SemiSyncMode = 'sync' | 'async' | 'off';

export function semiSyncMode(state: ReplicationState): SemiSyncMode {
  if (!state.semiSync.primaryEnabled) return 'off';
  return state.semiSync.primaryActive ? 'sync' : 'async';
}

/** Whether going from `before` to `now` is worth an entry: into and out of asynchronous. */
export function semiSyncChanged(before: SemiSyncMode | null, now: SemiSyncMode): boolean {
  if (before === null) return now === 'async'; // a worker that starts while it lasts says so too
  return before !== now && (before === 'async' || now === 'async');
}

export function semiSyncWatch(
  db: Knex,
  audit: AuditLog,
  log: Logger,
  intervalMs = 5000,
): { stop: () => Promise<void> } {
  let before: SemiSyncMode | null = null;
  const round = async () => {
    const state = await readReplication(db);
    if (state.readOnly) {
      before = null; // a standby: its primary's worker keeps the record
      return;
    }
    const now = semiSyncMode(state);
    if (semiSyncChanged(before, now)) {
      const details = {
        from: before ?? 'unknown',
        to: now,
        standbysConnected: state.semiSync.standbysConnected,
        unacknowledgedCommits: state.semiSync.unacknowledgedCommits,
        timeoutMs: state.semiSync.timeoutMs,
      };
      if (now === 'async')
        log.warn(details, 'semi-sync fell back to asynchronous: a failover now could lose data');
      else log.info(details, 'semi-sync is back: the standby acknowledges every commit');
      await audit.record({
        actor: worker,
        action: 'dr.semisync',
        outcome: now === 'async' ? 'failure' : 'success',
        details,
      });
    }
    before = now;
  };
  let stopped = false;
  const { sleep, wake } = wakeableSleep();
  const loop = (async () => {
    while (!stopped) {
      await round().catch((error: unknown) =>
        log.warn({ problem: (error as Error).message }, 'semi-sync state could not be read'),
      );
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      await loop;
    },
  };
}
