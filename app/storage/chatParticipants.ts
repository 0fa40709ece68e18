import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export type ParticipantRole = 'owner' | 'joined' | 'monitor';

export interface ParticipantRow {
  id: number;
  chat_id: number;
  agent_id: number;
  role: ParticipantRole;
  since: Date;
  left_at: Date | null;
}

/** Who takes part in a chat besides its visitor; a row with `left_at` null is current. */
export function chatParticipantsRepo(store: Store) {
  const db = knexOf(store);
  const current = () => db<ParticipantRow>('chat_participants').whereNull('left_at');
  return {
    /** The current participants of these chats (the writer reads them under the chats' lock). */
    async currentIn(chatIds: number[]): Promise<ParticipantRow[]> {
      if (chatIds.length === 0) return [];
      return current().whereIn('chat_id', chatIds).select('*');
    },
    /** This agent's current role in the chat, if any (joined or monitor; owners are on the chat). */
    async roleOf(chatId: number, agentId: number): Promise<ParticipantRole | null> {
      const row = await current()
        .where({ chat_id: chatId, agent_id: agentId })
        .whereNot('role', 'owner')
        .orderBy('id', 'desc')
        .first('role');
      return row?.role ?? null;
    },
    /** The chats this agent follows live as joined or monitoring, still open. */
    async openChatsOf(agentId: number): Promise<number[]> {
      const rows: { chat_id: number }[] = await db('chat_participants as p')
        .join('chats as c', 'c.id', 'p.chat_id')
        .where('p.agent_id', agentId)
        .whereNull('p.left_at')
        .whereNot('p.role', 'owner')
        .whereNot('c.status', 'ended')
        .distinct('p.chat_id');
      return rows.map((row) => Number(row.chat_id));
    },
    async add(chatId: number, agentId: number, role: ParticipantRole): Promise<void> {
      await db('chat_participants').insert({ chat_id: chatId, agent_id: agentId, role });
    },
    /** Ends the agent's current rows of these roles in the chat; false when there was none. */
    async leave(chatId: number, agentId: number, roles: ParticipantRole[]): Promise<boolean> {
      const changed = await db('chat_participants')
        .where({ chat_id: chatId, agent_id: agentId })
        .whereIn('role', roles)
        .whereNull('left_at')
        .update({ left_at: db.fn.now(3) });
      return changed > 0;
    },
    /** Ends every current row of a chat (the chat went back to the queue). */
    async leaveAll(chatId: number, roles: ParticipantRole[]): Promise<void> {
      await db('chat_participants')
        .where({ chat_id: chatId })
        .whereIn('role', roles)
        .whereNull('left_at')
        .update({ left_at: db.fn.now(3) });
    },
  };
}
