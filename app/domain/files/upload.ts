import { fileTypeFromBuffer } from 'file-type';
import type { MessageView } from '../../shared/protocol.ts';
import type { ChatRow } from '../../storage/chats.ts';
import { startInstream, type InstreamScan, type ScanVerdict } from '../../storage/clamd.ts';
import { transaction } from '../../storage/store.ts';
import { filesRepo, type ChatFileUsage, type NewFile } from '../../storage/files.ts';
import type { PendingBlob } from '../../storage/fileStore.ts';
import type { Participant } from '../chats/participants.ts';
import { errors, isParleyError } from '../errors.ts';
import { cardMasking } from '../masking/policy.ts';
import { detectType, knownTypes, sanitizeFileName, SNIFF_BYTES } from './fileTypes.ts';
import { checkQuota } from './quota.ts';
import type { Source, UploadDeps, UploadInput } from './uploadInput.ts';

// The file path (ARCHITECTURE.md): upload stream → type sniff + size guard → tee to clamd INSTREAM and
// to an encrypting temp file → verdict → (clean) move into the store, record, share in the chat |
// (infected/failed) delete the temp file, audit, tell the sender. Memory holds at most the sniffed
// head, one INSTREAM frame and the disk's bounded lag, whatever the file's size.
//
// clamd scans only once the stream has ended, so the time after the last byte is what the sender
// waits for beyond the transfer: everything that can is done before it (database checks while the
// body arrives, the temp file finished and fsynced during the scan) and what must follow an OK is
// one move and the records.

const ignore = () => undefined;

/** What the receiving loop learns while it runs: the chat's usage once admitted, or to stop. */
interface Admission {
  used: ChatFileUsage | null;
  refused: boolean;
}

export function uploader(deps: UploadDeps) {
  const { db, store, chats, audited, allowed, maxBytes, quota, clamd } = deps;
  const files = filesRepo(db);

  /** The type a name claims by its extension, if it is one of the allowed types. */
  function claimedType(name: { extension: string }): string {
    const claimed = Object.entries(knownTypes).find(([, t]) =>
      t.extensions.includes(name.extension),
    );
    if (!claimed || !allowed.includes(claimed[0])) throw errors.fileTypeNotAllowed(allowed);
    return claimed[0];
  }

  /** The database's checks: masked name, chat writable by this participant, quota. */
  async function admit(who: Participant, input: UploadInput, type: string) {
    const masking = cardMasking(db).inChat(input.chatId, input.name);
    const writable = chats.checkWrite(who, input.chatId);
    const usage = files.usage(input.chatId);
    for (const pending of [masking, writable, usage]) pending.catch(ignore);
    // A card number typed into a file name is masked before the name is stored or shown.
    const name = sanitizeFileName((await masking).text);
    if (claimedType(name) !== type) throw errors.fileTypeNotAllowed(allowed);
    const chat = await writable;
    const used = await usage;
    checkQuota(quota, used, input.declaredLength ?? 1);
    return { name: name.value, chat, used };
  }

  /** Reads the stream's head (up to SNIFF_BYTES) for type detection. */
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

  /** Streams the body to clamd and to the encrypting temp file; returns its size. */
  async function receive(
    iterator: AsyncIterator<Buffer>,
    start: { head: Buffer; ended: boolean },
    scan: InstreamScan,
    blob: PendingBlob,
    admission: Admission,
  ): Promise<number> {
    let size = start.head.length;
    const toScanner = scan.write(start.head);
    const toDisk = blob.write(start.head);
    if (toScanner || toDisk) await Promise.all([toScanner, toDisk]);
    while (!start.ended) {
      const next = await iterator.next();
      if (next.done) break;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      size += chunk.length;
      if (size > maxBytes) throw errors.fileTooLarge(maxBytes);
      if (admission.used && admission.used.bytes + size > quota.maxBytes)
        checkQuota(quota, admission.used, size);
      // Once clamd has answered early (its limit, or it went away) or the checks refused the
      // upload, the rest of the body (bounded by the size limit) is read and dropped, so the
      // sender gets the answer, not a reset.
      if (scan.answered || admission.refused) continue;
      const scanning = scan.write(chunk);
      const writing = blob.write(chunk);
      if (scanning || writing) await Promise.all([scanning, writing]);
    }
    return size;
  }

  /** Refuses a file clamd did not answer OK for; a blocked one is audited and noted in the chat. */
  async function refuse(
    verdict: Exclude<ScanVerdict, { result: 'clean' }>,
    who: Participant,
    input: UploadInput,
    chat: ChatRow,
    source: Source,
    file: { name: string; size: number },
  ): Promise<never> {
    if (verdict.result === 'infected') {
      await audited(who, 'file.blocked', 'failure', chat, source, {
        signature: verdict.signature,
        ...file,
      });
      const from = who.kind === 'visitor' ? 'the visitor' : 'the agent';
      await chats
        .notice(
          chat.id,
          `blocked-${input.clientId}`.slice(0, 64),
          `A file from ${from} was blocked by the virus scanner.`,
        )
        .catch(ignore); // the chat may have ended meanwhile; the sender is told anyway
      throw errors.fileBlocked();
    }
    if (verdict.result === 'limit') throw errors.fileScanLimit(verdict.reply);
    if (verdict.result === 'error')
      throw errors.scannerUnavailable(`clamd answered: ${verdict.reply}`);
    throw errors.scannerUnavailable(verdict.reason);
  }

  /**
   * Records a clean, sealed file: its row and audit entry commit together, after the move into the
   * store (with its directory fsync), which overlaps the row's insert. Returns the row id.
   */
  async function record(
    who: Participant,
    blob: PendingBlob,
    row: NewFile,
    chat: ChatRow,
    source: Source,
  ): Promise<number> {
    const moving = blob.commit();
    moving.catch(ignore);
    try {
      return await transaction(db, async (trx) => {
        const repo = filesRepo(trx);
        // Under the chat's row lock: concurrent uploads to one chat take the quota in turn.
        checkQuota(quota, await repo.lockUsage(chat.id), row.size);
        const id = await repo.insert(row);
        await moving; // durable in the store before the row that points at it commits
        const details = { fileId: id, name: row.name, size: row.size, type: row.type };
        await audited(who, 'file.upload', 'success', chat, source, details, trx);
        return id;
      });
    } catch (error) {
      // Not recorded: a moved file goes again (one that failed to move is still in tmp/).
      await moving.then(() => store.remove(row.storage_key)).catch(ignore);
      throw error;
    }
  }

  return async function upload(
    who: Participant,
    input: UploadInput,
    source: Source = {},
  ): Promise<MessageView> {
    const type = claimedType(sanitizeFileName(input.name));
    if (input.declaredLength !== null && input.declaredLength > maxBytes)
      throw errors.fileTooLarge(maxBytes);
    // The database's checks run while the head arrives, clamd is connected and the body streams:
    // nothing is recorded before they passed, and a refusal stops the stream.
    const admitting = admit(who, input, type);
    admitting.catch(ignore);
    const iterator = input.body[Symbol.asyncIterator]();
    const scan = startInstream(clamd.host, clamd.port, clamd.connectTimeoutMs, clamd.scanTimeoutMs);
    let start: { head: Buffer; ended: boolean };
    let detected: { key: string; mime: string } | null;
    try {
      start = await readHead(iterator);
      if (start.head.length === 0) throw errors.fileEmpty();
      detected = await detectType(start.head, fileTypeFromBuffer);
      if (!detected) throw errors.fileTypeMismatch('unrecognised content');
      if (detected.key !== type) throw errors.fileTypeMismatch(detected.mime);
    } catch (error) {
      scan.abort();
      throw error;
    }
    const blob = store.create();
    const admission: Admission = { used: null, refused: false };
    let kept = false;
    try {
      // At the last byte clamd starts scanning, and the temp file is finished and fsynced
      // meanwhile (it stays in tmp/ until an OK), whether or not the checks have answered yet.
      const received = receive(iterator, start, scan, blob, admission).then((size) => {
        const sealing = blob.seal();
        sealing.catch(ignore);
        return { size, sealing, scanned: scan.finish() };
      });
      received.catch(ignore);
      const admitted = await admitting.catch((error: unknown) => {
        admission.refused = true;
        throw error;
      });
      admission.used = admitted.used;
      const { name, chat } = admitted;
      const { size, sealing, scanned } = await received;
      checkQuota(quota, admitted.used, size);
      const verdict = await scanned;
      if (verdict.result !== 'clean')
        return await refuse(verdict, who, input, chat, source, { name, size });

      const sealed = await sealing;
      const file = { name, size, type: detected.mime };
      const id = await record(
        who,
        blob,
        {
          chat_id: chat.id,
          uploader_kind: who.kind,
          uploader_agent_id: who.kind === 'agent' ? who.agent.id : null,
          uploader_visitor_id: who.kind === 'visitor' ? who.visitorId : null,
          ...file,
          storage_key: blob.storageKey,
          wrapped_key: sealed.wrappedKey,
          iv: sealed.iv,
          tag: sealed.tag,
          scanner: verdict.reply.slice(0, 100),
        },
        chat,
        source,
      );
      kept = true;
      try {
        const message = await chats.shareFile(who, chat.id, input.clientId, { id, ...file });
        if (message.file?.id !== id) {
          // A resend of an upload already shared under this client id: the first copy stands
          // (the sender gets its message again), and this one is not kept.
          await files.remove([id]);
          await store.remove(blob.storageKey);
        }
        return message;
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
  };
}
