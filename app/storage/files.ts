import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface FileRow {
  id: number;
  chat_id: number;
  uploader_kind: 'visitor' | 'agent';
  uploader_agent_id: number | null;
  uploader_visitor_id: string | null;
  name: string;
  size: number;
  type: string;
  storage_key: string;
  wrapped_key: Buffer;
  iv: Buffer;
  tag: Buffer;
  scanner: string;
  created_at: Date;
}

export type NewFile = Omit<FileRow, 'id' | 'created_at'>;

/** What a chat's files take: their number and their total size in bytes. */
export interface ChatFileUsage {
  files: number;
  bytes: number;
}

export function filesRepo(store: Store) {
  const db = knexOf(store);
  async function usage(chatId: number): Promise<ChatFileUsage> {
    const row = await db('files')
      .where({ chat_id: chatId })
      .first<{ files: number | string; bytes: number | string } | undefined>(
        db.raw('COUNT(*) AS files'),
        db.raw('COALESCE(SUM(size), 0) AS bytes'),
      );
    return { files: Number(row?.files ?? 0), bytes: Number(row?.bytes ?? 0) };
  }
  return {
    async insert(file: NewFile): Promise<number> {
      const [id] = await db('files').insert(file);
      return Number(id);
    },
    byId: async (id: number): Promise<FileRow | undefined> =>
      (await db<FileRow>('files').where({ id }).first()) ?? undefined,
    forChat: (chatId: number): Promise<FileRow[]> =>
      db<FileRow>('files').where({ chat_id: chatId }).orderBy('id'),
    remove: (ids: number[]) => db('files').whereIn('id', ids).delete(),
    usage,
    /** Locks the chat row (so uploads to one chat take their quota in turn), then reads its usage. */
    async lockUsage(chatId: number): Promise<ChatFileUsage> {
      await db('chats').where({ id: chatId }).forUpdate().first('id');
      return usage(chatId);
    },
  };
}
