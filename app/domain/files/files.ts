import { fileTypeFromBuffer } from 'file-type';
import type { Knex } from 'knex';
import type { Readable } from 'node:stream';
import type { Config } from '../../../config/load.ts';
import type { FileView, MessageView } from '../../shared/protocol.ts';
import { chatsRepo } from '../../storage/chats.ts';
import { openInstream, type ScanVerdict } from '../../storage/clamd.ts';
import type { Db } from '../../storage/db.ts';
import { filesRepo, type FileRow } from '../../storage/files.ts';
import { fileStore, readMasterKey, type FileStore } from '../../storage/fileStore.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { ChatService, Participant } from '../chats.ts';
import { errors, isParleyError } from '../errors.ts';
import { cardMasking } from '../masking/policy.ts';
import { detectType, knownTypes, sanitizeFileName, SNIFF_BYTES } from './fileTypes.ts';

// The file path (ARCHITECTURE.md): upload stream → type sniff + size guard → tee to clamd INSTREAM and
// to an encrypting temp file → verdict → (clean) rename into the store, record, share in the chat |
// (infected/failed) delete the temp file, audit, tell the sender. Memory holds at most the sniffed
// head and one chunk in flight, whatever the file's size.

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

export function fileService(deps: { config: Config; db: Db; audit: AuditLog; chats: ChatService }) {
  const { config, db, audit, chats } = deps;
  const env = config.env;
  const allowed = env.PARLEY_FILE_ALLOWED_TYPES;
  const maxBytes = env.PARLEY_FILE_MAX_BYTES;
  const store: FileStore | null = env.PARLEY_FILES_MASTER_KEY_FILE
    ? fileStore(env.PARLEY_FILES_DIR, readMasterKey(env.PARLEY_FILES_MASTER_KEY_FILE))
    : null;
  const files = filesRepo(db);
  const scanner = { host: env.PARLEY_CLAMD_HOST, port: env.PARLEY_CLAMD_PORT };

  for (const type of allowed)
    if (!knownTypes[type]) throw new Error(`PARLEY_FILE_ALLOWED_TYPES: unknown type ${type}`);

  const audited = (
    who: Participant,
    action: string,
    outcome: 'success' | 'failure',
    chat: { id: number; department_id: number | null },
    source: Source,
    details: Record<string, unknown>,
    trx?: Knex.Transaction,
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

  /** Reads the stream's head (up to SNIFF_BYTES) for type detection; returns it and the rest. */
  async function readHead(iterator: AsyncIterator<Buffer>) {
    const parts: Buffer[] = [];
    let length = 0;
    let ended = false;
    while (length < SNIFF_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      parts.push(chunk);
      length += chunk.length;
      if (length > maxBytes) throw errors.fileTooLarge(maxBytes);
    }
    return { head: Buffer.concat(parts), ended };
  }

  return {
    enabled: store !== null,
    store,
    maxBytes,
    allowed,

    async upload(who: Participant, input: UploadInput, source: Source = {}): Promise<MessageView> {
      if (!store) throw errors.filesNotConfigured();
      // A card number typed into a file name is masked before the name is stored or shown.
      const name = sanitizeFileName((await cardMasking(db).inChat(input.chatId, input.name)).text);
      const extension = name.extension;
      const claimed = Object.entries(knownTypes).find(([, t]) => t.extensions.includes(extension));
      if (!claimed || !allowed.includes(claimed[0])) throw errors.fileTypeNotAllowed(allowed);
      if (input.declaredLength !== null && input.declaredLength > maxBytes)
        throw errors.fileTooLarge(maxBytes);
      const chat = await chats.checkWrite(who, input.chatId);

      // Connect to clamd while the head arrives; a refused file just closes the connection.
      const opening = openInstream(
        scanner.host,
        scanner.port,
        env.PARLEY_CLAMD_TIMEOUT_MS,
        env.PARLEY_CLAMD_SCAN_TIMEOUT_MS,
      );
      const iterator = input.body[Symbol.asyncIterator]();
      let detected: Awaited<ReturnType<typeof detectType>>;
      let ended: boolean;
      let head: Buffer;
      try {
        ({ head, ended } = await readHead(iterator));
        if (head.length === 0) throw errors.fileEmpty();
        detected = await detectType(head, fileTypeFromBuffer);
        if (!detected) throw errors.fileTypeMismatch('unrecognised content');
        if (detected.key !== claimed[0]) throw errors.fileTypeMismatch(detected.mime);
      } catch (error) {
        void opening.then((scan) => scan.abort());
        throw error;
      }
      const scan = await opening;
      const blob = store.create();
      let size = head.length;
      let verdict: ScanVerdict;
      let kept = false;
      try {
        await Promise.all([scan.write(head), blob.write(head)]);
        if (!ended) {
          for (;;) {
            const next = await iterator.next();
            if (next.done) break;
            const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
            size += chunk.length;
            if (size > maxBytes) throw errors.fileTooLarge(maxBytes);
            // Once clamd has answered early (its limit, or it went away), the rest of the body
            // (bounded by the size limit) is read and dropped, so the sender gets the answer
            // rather than a reset connection.
            if (!scan.answered) await Promise.all([scan.write(chunk), blob.write(chunk)]);
          }
        }
        verdict = await scan.finish();

        if (verdict.result === 'infected') {
          await audited(who, 'file.blocked', 'failure', chat, source, {
            signature: verdict.signature,
            name: name.value,
            size,
          });
          const from = who.kind === 'visitor' ? 'the visitor' : 'the agent';
          await chats
            .notice(
              chat.id,
              `blocked-${input.clientId}`.slice(0, 64),
              `A file from ${from} was blocked by the virus scanner.`,
            )
            .catch(() => undefined); // the chat may have ended meanwhile; the sender is told anyway
          throw errors.fileBlocked();
        }
        if (verdict.result === 'limit') throw errors.fileScanLimit(verdict.reply);
        if (verdict.result === 'error')
          throw errors.scannerUnavailable(`clamd answered: ${verdict.reply}`);
        if (verdict.result === 'unavailable') throw errors.scannerUnavailable(verdict.reason);

        const sealed = await blob.seal();
        await blob.commit();
        kept = true;
        const row = {
          chat_id: chat.id,
          uploader_kind: who.kind,
          uploader_agent_id: who.kind === 'agent' ? who.agent.id : null,
          uploader_visitor_id: who.kind === 'visitor' ? who.visitorId : null,
          name: name.value,
          size,
          type: detected.mime,
          storage_key: blob.storageKey,
          wrapped_key: sealed.wrappedKey,
          iv: sealed.iv,
          tag: sealed.tag,
          scanner: verdict.reply.slice(0, 100),
        } as const;
        // The stored file and its audit entry commit together; then the message shares it.
        const id = await db.transaction(async (trx) => {
          const inserted = await filesRepo(trx).insert(row);
          await audited(
            who,
            'file.upload',
            'success',
            chat,
            source,
            { fileId: inserted, name: name.value, size, type: detected.mime },
            trx,
          );
          return inserted;
        });
        try {
          return await chats.shareFile(who, chat.id, input.clientId, {
            id,
            name: name.value,
            size,
            type: detected.mime,
          });
        } catch (error) {
          // The chat ended (or went) meanwhile: the file is removed again, and the log says so.
          await files.remove([id]);
          await store.remove(blob.storageKey);
          await audited(who, 'file.upload', 'failure', chat, source, {
            fileId: id,
            reason: isParleyError(error) ? error.id : 'internal',
          });
          throw error;
        }
      } finally {
        scan.abort();
        if (!kept) await blob.discard();
      }
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
      await audited(who, 'file.download', 'success', chat, source, {
        fileId: row.id,
        name: row.name,
      });
      const stream: Readable = store.open(row.storage_key, {
        wrappedKey: row.wrapped_key,
        iv: row.iv,
        tag: row.tag,
      });
      return { file: presentFile(row), stream };
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
