import type { AuthorKind } from '../shared/protocol.ts';
import { knexOf } from './db.ts';
import type { Store } from './store.ts';

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
  file_id: number | null;
  /** A whisper or transfer note: only agents see it (issue 14). MariaDB returns 0/1. */
  internal: boolean | number;
  /** From the join with files (FILE_COLUMNS); null when no file or it was deleted. */
  file_name?: string | null;
  file_size?: number | null;
  file_type?: string | null;
}

/** The shared file's description, joined from files. */
export const FILE_COLUMNS = [
  'files.name as file_name',
  'files.size as file_size',
  'files.type as file_type',
] as const;

/** The agent's name for an agent's message, the name from the pre-chat form for a visitor's. */
export const AUTHOR_NAME =
  "CASE messages.author_kind WHEN 'agent' THEN agents.name WHEN 'visitor' THEN chats.visitor_name END AS author_name";

export function messagesRepo(store: Store) {
  const db = knexOf(store);
  const base = () =>
    db('messages')
      .leftJoin('agents', 'agents.id', 'messages.author_agent_id')
      .join('chats', 'chats.id', 'messages.chat_id')
      .leftJoin('files', 'files.id', 'messages.file_id')
      .select('messages.*', db.raw(AUTHOR_NAME), ...FILE_COLUMNS);
  const byClientId = (chatId: number, clientId: string): Promise<MessageRow | undefined> =>
    base().where({ 'messages.chat_id': chatId, 'messages.client_id': clientId }).first();

  return {
    byClientId,
    /** A page of a chat's messages; a visitor's never holds internal ones (whispers, notes). */
    since(
      chatId: number,
      afterSeq: number,
      limit: number,
      audience: 'agent' | 'visitor',
    ): Promise<MessageRow[]> {
      const query = base()
        .where('messages.chat_id', chatId)
        .andWhere('messages.seq', '>', afterSeq)
        .orderBy('messages.seq')
        .limit(limit);
      if (audience === 'visitor') void query.andWhere('messages.internal', false);
      return query;
    },
  };
}
