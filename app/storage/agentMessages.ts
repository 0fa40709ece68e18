import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// Messages between agents (issue 14). Written one at a time under the conversation's row lock
// (app/domain/agentChat/agentChat.ts); deleted by data retention by age.

export interface AgentMessageRow {
  id: number;
  conversation_id: number;
  seq: number;
  client_id: string;
  author_agent_id: number;
  body: string;
  created_at: Date;
  /** From the join with agents. */
  author_name: string;
}

export type NewAgentMessage = Omit<AgentMessageRow, 'id' | 'author_name'>;

export function agentMessagesRepo(store: Store) {
  const db = knexOf(store);
  const base = () =>
    db('agent_messages as m')
      .join('agents as a', 'a.id', 'm.author_agent_id')
      .select('m.*', 'a.name as author_name');
  const normalize = (row: AgentMessageRow): AgentMessageRow => ({
    ...row,
    id: Number(row.id),
    conversation_id: Number(row.conversation_id),
    author_agent_id: Number(row.author_agent_id),
  });

  return {
    async byClientId(conversationId: number, clientId: string) {
      const row = (await base()
        .where({ 'm.conversation_id': conversationId, 'm.client_id': clientId })
        .first()) as AgentMessageRow | undefined;
      return row && normalize(row);
    },
    /**
     * Inserts one message; returns the values as stored (the storage boundary masks them in place).
     */
    async insert(message: NewAgentMessage): Promise<NewAgentMessage> {
      const values = { ...message };
      await db('agent_messages').insert(values);
      return values;
    },
    async since(conversationId: number, afterSeq: number, limit: number) {
      const rows = (await base()
        .where('m.conversation_id', conversationId)
        .andWhere('m.seq', '>', afterSeq)
        .orderBy('m.seq')
        .limit(limit)) as AgentMessageRow[];
      return rows.map(normalize);
    },
    /**
     * Ids of messages older than their retention: the department's retention_days for a room,
     * else `globalDays` (null: kept forever).
     */
    async expired(now: Date, globalDays: number | null, limit: number): Promise<number[]> {
      const ids = await db('agent_messages as m')
        .join('agent_conversations as c', 'c.id', 'm.conversation_id')
        .leftJoin('departments as d', 'd.id', 'c.department_id')
        .whereRaw('m.created_at < DATE_SUB(?, INTERVAL COALESCE(d.retention_days, ?) DAY)', [
          now,
          globalDays,
        ])
        .orderBy('m.id')
        .limit(limit)
        .pluck('m.id');
      return ids.map(Number);
    },
    deleteIds: (ids: number[]): Promise<number> =>
      ids.length === 0 ? Promise.resolve(0) : db('agent_messages').whereIn('id', ids).delete(),
  };
}
