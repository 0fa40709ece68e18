import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export type PasswordChangeReason = 'created' | 'reset' | 'changed';

export interface PasswordHistoryRow {
  id: number;
  agent_id: number;
  password_hash: string;
  reason: PasswordChangeReason;
  created_at: Date;
}

/** Every password an agent has had, newest last; hashes only. */
export function passwordHistoryRepo(store: Store) {
  const db = knexOf(store);
  return {
    insert: (row: Omit<PasswordHistoryRow, 'id'>) => db('password_history').insert(row),
    /** The newest `count` entries, newest first. */
    latest: (agentId: number, count: number) =>
      db<PasswordHistoryRow>('password_history')
        .where({ agent_id: agentId })
        .orderBy('id', 'desc')
        .limit(count),
    async lastChangedAt(agentId: number): Promise<Date | null> {
      const row = await db<PasswordHistoryRow>('password_history')
        .where({ agent_id: agentId })
        .orderBy('id', 'desc')
        .first('created_at');
      return row?.created_at ?? null;
    },
    async countSince(agentId: number, reason: PasswordChangeReason, since: Date): Promise<number> {
      const row = await db('password_history')
        .where({ agent_id: agentId, reason })
        .andWhere('created_at', '>', since)
        .count({ n: '*' })
        .first();
      return Number(row?.n ?? 0);
    },
    /** Drops entries beyond the newest `keep` that are also older than `before`. */
    async prune(agentId: number, keep: number, before: Date): Promise<void> {
      const kept = await db('password_history')
        .where({ agent_id: agentId })
        .orderBy('id', 'desc')
        .limit(keep)
        .pluck('id');
      await db('password_history')
        .where({ agent_id: agentId })
        .andWhere('created_at', '<', before)
        .modify((query) => {
          if (kept.length > 0) void query.whereNotIn('id', kept);
        })
        .delete();
    },
  };
}
