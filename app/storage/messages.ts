import type { AuthorKind } from '../shared/protocol.ts';
import type { Db } from './db.ts';

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
  };
}
