import type { ChatRow } from '../../storage/chats.ts';
import type { Store } from '../../storage/store.ts';
import type { FileStore } from '../../storage/fileStore.ts';
import type { ChatService } from '../chats/chats.ts';
import type { Participant } from '../chats/participants.ts';
import type { ChatQuota } from './quota.ts';

// What an upload is (the transport's input) and what the file path needs from the running app.

export interface UploadInput {
  chatId: number;
  /** The file name as sent (already percent-decoded). */
  name: string;
  /** Content-Length, when the client sent one. */
  declaredLength: number | null;
  body: AsyncIterable<Buffer>;
  /** Makes a resend of the same upload answer with the first message. */
  clientId: string;
}

export interface Source {
  ip?: string;
  userAgent?: string;
}

/** Records an audit entry about a chat (in `trx` when given). */
export type AuditChat = (
  who: Participant,
  action: string,
  outcome: 'success' | 'failure',
  chat: Pick<ChatRow, 'id' | 'department_id'>,
  source: Source,
  details: Record<string, unknown>,
  trx?: Store,
) => Promise<unknown>;

export interface UploadDeps {
  db: Store;
  store: FileStore;
  chats: ChatService;
  audited: AuditChat;
  allowed: readonly string[];
  maxBytes: number;
  quota: ChatQuota;
  clamd: { host: string; port: number; connectTimeoutMs: number; scanTimeoutMs: number };
}
