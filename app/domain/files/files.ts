import type { Config } from '../../../config/load.ts';
import { describeError, type Logger } from '../../log.ts';
import type { FileView, MessageView } from '../../shared/protocol.ts';
import { chatsRepo } from '../../storage/chats.ts';
import type { Store } from '../../storage/store.ts';
import { filesRepo, type FileRow } from '../../storage/files.ts';
import { fileStore, readMasterKey, type FileStore } from '../../storage/fileStore.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { ChatService } from '../chats/chats.ts';
import type { Participant } from '../chats/participants.ts';
import { errors, ParleyError } from '../errors.ts';
import { knownTypes } from './fileTypes.ts';
import { uploader } from './upload.ts';
import type { Source, UploadInput } from './uploadInput.ts';

// Files shared in chats: upload (./upload.ts), download, deletion with the chat, and the sweep of
// temp files a crash left behind.

export type { Source, UploadInput } from './uploadInput.ts';

const LEFTOVER_MIN_AGE_MS = 60 * 60_000;
const SWEEP_EVERY_MS = 10 * 60_000;
const MISSING_WARNINGS_REMEMBERED = 10_000;

/** Issue 15: the file's row reached this site (replication) before its blob did. */
export const fileNotArrived = () =>
  Object.assign(
    new ParleyError(
      'file_not_arrived',
      503,
      'This file has not reached this site yet; try again in a minute.',
      true,
    ),
    { retryAfter: 60 },
  );

function actorOf(who: Participant) {
  return who.kind === 'agent'
    ? { kind: 'agent' as const, id: who.agent.id, label: who.agent.email }
    : { kind: 'visitor' as const, id: who.visitorId };
}

export function presentFile(row: FileRow): FileView {
  return {
    id: Number(row.id),
    name: row.name,
    size: Number(row.size),
    type: row.type,
    scan: 'clean',
  };
}

export function fileService(deps: {
  config: Config;
  db: Store;
  audit: AuditLog;
  chats: ChatService;
  log: Logger;
}) {
  const { config, db, audit, chats, log } = deps;
  const env = config.env;
  const allowed = env.PARLEY_FILE_ALLOWED_TYPES;
  const maxBytes = env.PARLEY_FILE_MAX_BYTES;
  const store: FileStore | null = env.PARLEY_FILES_MASTER_KEY_FILE
    ? fileStore(env.PARLEY_FILES_DIR, readMasterKey(env.PARLEY_FILES_MASTER_KEY_FILE))
    : null;
  const files = filesRepo(db);
  // A temp file untouched this long is a crash's leftover: a live upload writes as it arrives
  // (Node ends a request after 5 minutes), then waits at most the scan timeout for clamd.
  const leftoverAgeMs = Math.max(LEFTOVER_MIN_AGE_MS, 2 * env.PARLEY_CLAMD_SCAN_TIMEOUT_MS);
  const quota = {
    maxFiles: env.PARLEY_FILE_CHAT_MAX_FILES,
    maxBytes: env.PARLEY_FILE_CHAT_MAX_BYTES,
  };

  for (const type of allowed)
    if (!knownTypes[type]) throw new Error(`PARLEY_FILE_ALLOWED_TYPES: unknown type ${type}`);

  const audited = (
    who: Participant,
    action: string,
    outcome: 'success' | 'failure',
    chat: { id: number; department_id: number | null },
    source: Source,
    details: Record<string, unknown>,
    trx?: Store,
  ) =>
    audit.record(
      {
        actor: actorOf(who),
        action,
        outcome,
        target: { kind: 'chat', id: chat.id },
        departmentId: chat.department_id,
        ip: source.ip,
        userAgent: source.userAgent,
        details,
      },
      trx,
    );

  const upload = store
    ? uploader({
        db,
        store,
        chats,
        audited,
        allowed,
        maxBytes,
        quota,
        clamd: {
          host: env.PARLEY_CLAMD_HOST,
          port: env.PARLEY_CLAMD_PORT,
          connectTimeoutMs: env.PARLEY_CLAMD_TIMEOUT_MS,
          scanTimeoutMs: env.PARLEY_CLAMD_SCAN_TIMEOUT_MS,
        },
      })
    : null;

  // One warning per file whose blob is missing here, not one per attempt to download it.
  const warnedMissing = new Set<number>();
  const notArrived = (fileId: number) => {
    if (warnedMissing.has(fileId)) return;
    if (warnedMissing.size >= MISSING_WARNINGS_REMEMBERED) warnedMissing.clear();
    warnedMissing.add(fileId);
    log.warn({ fileId }, "a file was asked for whose blob is not in this site's store");
  };

  /** Removes the temp files a crash left in the volume's tmp/; returns how many. */
  const sweepLeftovers = (now?: number): Promise<number> =>
    store ? store.sweepLeftovers(leftoverAgeMs, now) : Promise.resolve(0);

  return {
    enabled: store !== null,
    store,
    maxBytes,
    allowed,
    quota,

    async upload(who: Participant, input: UploadInput, source: Source = {}): Promise<MessageView> {
      if (!upload) throw errors.filesNotConfigured();
      return upload(who, input, source);
    },

    /** A stored file's row and decrypted bytes, for its chat's participants and transcript readers. */
    async download(who: Participant, fileId: number, source: Source = {}) {
      if (!store) throw errors.filesNotConfigured();
      const row = await files.byId(fileId);
      if (!row) throw errors.fileNotFound();
      const chat = await chatsRepo(db).byId(row.chat_id);
      if (!chat) throw errors.fileNotFound();
      if (who.kind === 'visitor') {
        if (chat.visitor_id !== who.visitorId) throw errors.fileNotFound();
      } else {
        const resource = { departmentId: chat.department_id, agentId: chat.agent_id };
        const allowedAgent =
          chat.agent_id === who.agent.id ||
          who.grants.covers('transcripts.view_all', resource) ||
          who.grants.covers('transcripts.view_department', resource);
        if (!allowedAgent) {
          await audited(who, 'file.download', 'failure', chat, source, {
            fileId: row.id,
            reason: 'forbidden',
          });
          throw errors.forbidden(
            'download this file: it needs a transcripts permission that covers the chat',
          );
        }
      }
      const stream = await store.open(row.storage_key, {
        wrappedKey: row.wrapped_key,
        iv: row.iv,
        tag: row.tag,
      });
      if (!stream) {
        // The row replicated to this site before the blob was shipped (or the blob is lost).
        notArrived(row.id);
        await audited(who, 'file.download', 'failure', chat, source, {
          fileId: row.id,
          reason: 'not_arrived',
        });
        throw fileNotArrived();
      }
      try {
        await audited(who, 'file.download', 'success', chat, source, {
          fileId: row.id,
          name: row.name,
        });
      } catch (error) {
        stream.destroy();
        throw error;
      }
      return { file: presentFile(row), stream };
    },

    sweepLeftovers,

    /** Sweeps at once (logging the count) and then periodically; returns what stops it. */
    sweepPeriodically(log: Logger): () => void {
      const sweep = (atStart: boolean) =>
        sweepLeftovers().then(
          (removed) => {
            if (atStart || removed > 0)
              log.info({ removed }, 'removed temp files left by interrupted uploads');
          },
          (error: unknown) =>
            log.warn({ err: describeError(error) }, 'could not sweep the files volume'),
        );
      if (!store) return () => undefined;
      void sweep(true);
      const timer = setInterval(() => void sweep(false), SWEEP_EVERY_MS);
      timer.unref();
      return () => clearInterval(timer);
    },

    /** Retention / erasure: deletes a chat's files, their bytes and their keys (the rows hold them). */
    async deleteChatFiles(chatId: number): Promise<number> {
      const rows = await files.forChat(chatId);
      if (rows.length === 0) return 0;
      await files.remove(rows.map((row) => row.id));
      if (store) for (const row of rows) await store.remove(row.storage_key);
      return rows.length;
    },
  };
}

export type FileService = ReturnType<typeof fileService>;
