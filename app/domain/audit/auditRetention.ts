import { auditEventsRepo } from '../../storage/auditEvents.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { AuditLog } from './auditLog.ts';
import { hashOf } from './chain.ts';

// Audit-entry retention (issue 7): the oldest entries go by their own, longer policy, in batches,
// and the chain stays verifiable. The id and hash of the last deleted entry become the anchor that
// `verifyChain` starts from.

export interface AuditRetentionPolicy {
  /** Days an audit entry is kept; 0 keeps every entry forever. */
  days: number;
  /** Entries per DELETE. */
  batch: number;
  now?: () => Date;
}

export interface AuditRetentionResult {
  deleted: number;
  /** The anchor after the run (0: none yet). */
  anchorId: number;
  /** Set when retention stopped at an entry whose hash or link does not check out. */
  stoppedAt: number | null;
}

/**
 * Deletes entries older than the policy, oldest first, only as a contiguous run from the current
 * anchor and only once each one checks out against its predecessor: a broken entry is evidence,
 * so retention stops there rather than delete it. Records one `audit.retention` entry per run.
 */
export async function runAuditRetention(
  db: Store,
  audit: AuditLog,
  policy: AuditRetentionPolicy,
): Promise<AuditRetentionResult> {
  const now = (policy.now ?? (() => new Date()))();
  const result: AuditRetentionResult = { deleted: 0, anchorId: 0, stoppedAt: null };
  if (policy.days <= 0) {
    result.anchorId = (await auditEventsRepo(db).start()).id;
    return result;
  }
  const cutoff = new Date(now.getTime() - policy.days * 86_400_000);
  for (;;) {
    const batch = await transaction(db, async (tx) => {
      const events = auditEventsRepo(tx);
      await events.lockAnchor(); // two runs never move it at once
      const start = await events.start();
      const rows = await events.after(start.id, policy.batch);
      let previous = start;
      let count = 0;
      for (const row of rows) {
        if (!(row.at < cutoff)) break;
        const linked =
          row.id === previous.id + 1 &&
          row.prev_hash.equals(previous.hash) &&
          hashOf(row).equals(row.hash);
        if (!linked) {
          result.stoppedAt = row.id;
          break;
        }
        previous = { id: row.id, hash: row.hash };
        count += 1;
      }
      if (count > 0) await events.deleteThrough(start.id, previous, now);
      return { count, anchorId: previous.id, full: count === policy.batch };
    });
    result.deleted += batch.count;
    result.anchorId = batch.anchorId;
    if (!batch.full || result.stoppedAt !== null) break;
  }
  await audit.record({
    actor: { kind: 'system', label: 'worker' },
    action: 'audit.retention',
    outcome: result.stoppedAt === null ? 'success' : 'failure',
    details: {
      days: policy.days,
      before: cutoff.toISOString(),
      deleted: result.deleted,
      anchorId: result.anchorId,
      ...(result.stoppedAt === null ? {} : { stoppedAt: result.stoppedAt }),
    },
  });
  return result;
}
