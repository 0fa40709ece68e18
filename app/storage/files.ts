import type { Knex } from 'knex';
import type { Db } from './db.ts';

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

export function filesRepo(db: Db | Knex.Transaction) {
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
  };
}
