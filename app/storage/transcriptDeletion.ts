import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// Deleting one ended chat's transcript (issue 14): the chat row, its messages and its files' rows.
// The files' bytes are removed by the caller once this has committed (fileStore.remove).

export interface DeletableChat {
  id: number;
  status: 'queued' | 'active' | 'ended';
  department_id: number | null;
  agent_id: number | null;
  chat_held: boolean;
  visitor_held: boolean;
}

export function transcriptDeletionRepo(store: Store) {
  const db = knexOf(store);
  return {
    /** Locks the chat row (no message, file or hold can change under the deletion); undefined if none. */
    async lock(chatId: number): Promise<DeletableChat | undefined> {
      const row = await db('chats as c')
        .leftJoin('visitors as v', 'v.id', 'c.visitor_id')
        .where('c.id', chatId)
        .forUpdate()
        .first<Record<string, unknown> | undefined>(
          'c.id',
          'c.status',
          'c.department_id',
          'c.agent_id',
          'c.legal_hold as chat_held',
          'v.legal_hold as visitor_held',
        );
      if (!row) return undefined;
      return {
        id: Number(row.id),
        status: row.status as DeletableChat['status'],
        department_id: row.department_id == null ? null : Number(row.department_id),
        agent_id: row.agent_id == null ? null : Number(row.agent_id),
        chat_held: Number(row.chat_held) === 1,
        visitor_held: Number(row.visitor_held) === 1,
      };
    },

    /** Deletes the rows; returns the files' storage keys (their bytes go after commit) and counts. */
    async remove(chatId: number): Promise<{ storageKeys: string[]; messages: number }> {
      const storageKeys = (await db('files')
        .where({ chat_id: chatId })
        .pluck('storage_key')) as string[];
      // Messages point at files with ON DELETE SET NULL: files first, then messages, then the chat.
      await db('files').where({ chat_id: chatId }).delete();
      const messages = Number(await db('messages').where({ chat_id: chatId }).delete());
      await db('chats').where({ id: chatId }).delete();
      return { storageKeys, messages };
    },
  };
}
