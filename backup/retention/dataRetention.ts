import type { Db } from '../../app/storage/db.ts';

export interface RetentionPolicy {
  /** Days an ended chat (messages, files) is kept; 0 keeps forever. A department may override. */
  chatDays: number;
  /** Days a visitor with no chats left is kept after last seen; 0 keeps forever. */
  visitorDays: number;
  /** Rows per statement: each DELETE is short, so chat tables are never locked for long. */
  batch: number;
  now?: () => Date;
}

export interface RetentionCounts {
  chats: number;
  messages: number;
  files: number;
  visitors: number;
}

/**
 * Deletes what is older than the policy, in small batches, skipping anything under a legal hold
 * (the chat's or its visitor's). File bytes are removed after their rows are gone.
 */
export async function runDataRetention(
  db: Db,
  policy: RetentionPolicy,
  removeBlob: (storageKey: string) => Promise<void>,
): Promise<RetentionCounts> {
  const now = (policy.now ?? (() => new Date()))();
  const counts: RetentionCounts = { chats: 0, messages: 0, files: 0, visitors: 0 };
  const hasFiles = await db.schema.hasTable('files');
  const globalDays = policy.chatDays > 0 ? policy.chatDays : null;
  for (;;) {
    const ids = (
      await db('chats as c')
        .leftJoin('departments as d', 'd.id', 'c.department_id')
        .leftJoin('visitors as v', 'v.id', 'c.visitor_id')
        .where('c.legal_hold', 0)
        .where((q) => void q.whereNull('v.legal_hold').orWhere('v.legal_hold', 0))
        .where('c.status', 'ended')
        .whereRaw(
          'COALESCE(c.ended_at, c.created_at) < DATE_SUB(?, INTERVAL COALESCE(d.retention_days, ?) DAY)',
          [now, globalDays],
        )
        .orderBy('c.id')
        .limit(policy.batch)
        .pluck('c.id')
    ).map(Number);
    if (ids.length === 0) break;
    const blobs: string[] = [];
    if (hasFiles) {
      const rows = await db('files').whereIn('chat_id', ids).select('id', 'storage_key');
      blobs.push(...rows.map((r: { storage_key: string }) => r.storage_key));
      // Messages point at files with ON DELETE SET NULL; the rows go before the bytes.
      counts.files += await deleteInBatches(db, 'files', 'chat_id', ids, policy.batch);
    }
    counts.messages += await deleteInBatches(db, 'messages', 'chat_id', ids, policy.batch);
    counts.chats += await db('chats').whereIn('id', ids).delete();
    for (const key of blobs) await removeBlob(key);
  }
  if (policy.visitorDays > 0) {
    for (;;) {
      const ids = await db('visitors as v')
        .where('v.legal_hold', 0)
        .whereRaw('v.last_seen_at < DATE_SUB(?, INTERVAL ? DAY)', [now, policy.visitorDays])
        .whereNotExists(
          (q) => void q.select(db.raw('1')).from('chats as c').whereRaw('c.visitor_id = v.id'),
        )
        .limit(policy.batch)
        .pluck('v.id');
      if (ids.length === 0) break;
      counts.visitors += await db('visitors').whereIn('id', ids).delete();
    }
  }
  return counts;
}

async function deleteInBatches(
  db: Db,
  table: string,
  column: string,
  ids: number[],
  batch: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const [result] = (await db.raw(
      `DELETE FROM \`${table}\` WHERE \`${column}\` IN (${ids.map(() => '?').join(',')}) LIMIT ${batch}`,
      ids,
    )) as [{ affectedRows: number }];
    total += result.affectedRows;
    if (result.affectedRows < batch) return total;
  }
}
