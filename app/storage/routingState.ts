import { knexOf } from './db.ts';
import type { Store } from './store.ts';

/** A waiting chat that no agent is being offered, with how many offers of it were declined. */
export interface WaitingChatRow {
  id: number;
  department_id: number | null;
  created_at: Date;
  visitor_name: string | null;
  question: string | null;
  declines: number;
  /** The agents who refused it or let their offer of it run out (they are not asked again). */
  declined_by: number[];
}

const orNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** Waiting chats and the recent rate of taken chats; `waiting` runs under the routing lock. */
export function routingStateRepo(store: Store) {
  const db = knexOf(store);
  return {
    /**
     * One department's waiting chats (null: no department), oldest first: none under offer, none
     * refused or left unanswered `maxDeclines` times (those wait in the manual queue).
     */
    async waiting(departmentId: number | null, maxDeclines: number, limit: number) {
      const declined =
        "FROM chat_offers d WHERE d.chat_id = c.id AND d.outcome IN ('refused','timed_out')";
      const declines = `(SELECT COUNT(*) ${declined})`;
      const rows: WaitingChatRow[] = await db('chats as c')
        .where('c.status', 'queued')
        .modify((q) => {
          if (departmentId === null) void q.whereNull('c.department_id');
          else void q.where('c.department_id', departmentId);
        })
        .whereNotExists(
          db('chat_offers as o')
            .whereRaw('o.chat_id = c.id')
            .whereNull('o.outcome')
            .select(db.raw('1')),
        )
        .whereRaw(`${declines} < ?`, [maxDeclines])
        .orderBy('c.created_at')
        .orderBy('c.id')
        .limit(limit)
        .select(
          'c.id',
          'c.department_id',
          'c.created_at',
          'c.visitor_name',
          'c.question',
          db.raw(`(SELECT GROUP_CONCAT(d.agent_id) ${declined}) AS declined_by`),
        );
      return rows.map((row) => {
        const by = (row.declined_by as unknown as string | null)?.split(',').map(Number) ?? [];
        return {
          ...row,
          id: Number(row.id),
          department_id: orNull(row.department_id),
          declines: by.length,
          declined_by: by,
        };
      });
    },
    /** Chats taken in a department (null: none) over the last `seconds`, for the estimated wait. */
    async acceptedSince(departmentId: number | null, seconds: number): Promise<number> {
      const query = db('chats')
        .whereNotNull('accepted_at')
        .where('accepted_at', '>=', db.raw('NOW(3) - INTERVAL ? SECOND', [seconds]));
      if (departmentId === null) void query.whereNull('department_id');
      else void query.where('department_id', departmentId);
      const row = (await query.count({ n: '*' }).first()) as { n: number } | undefined;
      return Number(row?.n ?? 0);
    },
  };
}
