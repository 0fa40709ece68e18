import type { AuthorKind } from '../shared/protocol.ts';
import { ER_DUP_ENTRY, sqlErrno, type Db } from './db.ts';

export interface MessageRow {
  id: number;
  chat_id: number;
  seq: number;
  client_id: string;
  author_kind: AuthorKind;
  author_agent_id: number | null;
  body: string;
  created_at: Date;
  author_name: string | null;
}

export interface NewMessage {
  chatId: number;
  clientId: string;
  author: AuthorKind;
  authorAgentId: number | null;
  body: string;
}

export function messagesRepo(db: Db) {
  const base = () =>
    db('messages')
      .leftJoin('agents', 'agents.id', 'messages.author_agent_id')
      .select('messages.*', 'agents.name as author_name');
  const byClientId = (chatId: number, clientId: string): Promise<MessageRow | undefined> =>
    base().where({ 'messages.chat_id': chatId, 'messages.client_id': clientId }).first();

  return {
    byClientId,
    since: (chatId: number, afterSeq: number, limit: number): Promise<MessageRow[]> =>
      base()
        .where('messages.chat_id', chatId)
        .andWhere('messages.seq', '>', afterSeq)
        .orderBy('messages.seq')
        .limit(limit),
    /**
     * Stores a message with the chat's next sequence number, once per client id.
     * The counter row lock serialises writers of one chat; a resend returns the stored row.
     */
    async append(message: NewMessage): Promise<{ row: MessageRow; created: boolean }> {
      const existing = await byClientId(message.chatId, message.clientId);
      if (existing) return { row: existing, created: false };
      let created = true;
      try {
        await db.transaction(async (trx) => {
          await trx.raw('UPDATE chats SET last_seq = LAST_INSERT_ID(last_seq + 1) WHERE id = ?', [
            message.chatId,
          ]);
          const [[{ seq }]] = (await trx.raw('SELECT LAST_INSERT_ID() AS seq')) as [
            [{ seq: number }],
          ];
          await trx('messages').insert({
            chat_id: message.chatId,
            seq,
            client_id: message.clientId,
            author_kind: message.author,
            author_agent_id: message.authorAgentId,
            body: message.body,
          });
        });
      } catch (error) {
        // Two sends of the same client id raced: the first one won, return it.
        if (sqlErrno(error) !== ER_DUP_ENTRY) throw error;
        created = false;
      }
      const row = await byClientId(message.chatId, message.clientId);
      if (!row) throw new Error('message vanished after insert');
      return { row, created };
    },
  };
}
