import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkQuota, sizeText } from '../../app/domain/files/quota.ts';
import { isParleyError } from '../../app/domain/errors.ts';
import type { MessageView } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import {
  caCert,
  startTestParley,
  startVisitorChat,
  visitorUpload,
  type TestParley,
} from '../harness/parley.ts';

// The per-chat upload quota (PARLEY_FILE_CHAT_MAX_FILES / _BYTES): 3 files or 100 000 bytes here.

const MAX_FILES = 3;
const MAX_BYTES = 100_000;
const filesDir = mkdtempSync(join(tmpdir(), 'parley-quota-'));
let t: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({
    PARLEY_FILES_DIR: filesDir,
    PARLEY_FILE_CHAT_MAX_FILES: String(MAX_FILES),
    PARLEY_FILE_CHAT_MAX_BYTES: String(MAX_BYTES),
  });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
  rmSync(filesDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await truncateAll(db);
  for (const sub of ['store', 'tmp'])
    for (const name of readdirSync(join(filesDir, sub))) rmSync(join(filesDir, sub, name));
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

const pdf = (bytes: number) => Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(bytes - 9)]);
const stored = () => readdirSync(join(filesDir, 'store'));
const pending = () => readdirSync(join(filesDir, 'tmp'));

async function visitorChat() {
  const { socket, ...chat } = await startVisitorChat(t);
  sockets.push(socket);
  return chat;
}

const upload = (chat: { chatId: number; token: string }, data: Buffer, name = 'doc.pdf') =>
  visitorUpload(t, chat, name, data);

/** An upload without Content-Length (chunked), so only the bytes as they arrive tell its size. */
function chunkedUpload(chat: { chatId: number; token: string }, data: Buffer) {
  return new Promise<{ status: number; body: { error?: { id: string; message: string } } }>(
    (resolve, reject) => {
      const req = httpsRequest(
        new URL(`/api/visitor/chats/${chat.chatId}/files`, t.url),
        {
          method: 'POST',
          ca: caCert(),
          headers: {
            Authorization: `Bearer ${chat.token}`,
            'Content-Type': 'application/octet-stream',
            'Transfer-Encoding': 'chunked',
            'X-Parley-File-Name': 'chunked.pdf',
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(parts).toString()) as {
                error?: { id: string; message: string };
              },
            }),
          );
        },
      );
      req.on('error', reject);
      for (let offset = 0; offset < data.length; offset += 16_384)
        req.write(data.subarray(offset, offset + 16_384));
      req.end();
    },
  );
}

describe('per-chat upload quota', () => {
  it('checkQuota refuses the file past the count, or past the bytes, with its own id', () => {
    const quota = { maxFiles: 2, maxBytes: 1000 };
    expect(() => checkQuota(quota, { files: 1, bytes: 500 }, 500)).not.toThrow();
    const tooMany = (() => {
      try {
        checkQuota(quota, { files: 2, bytes: 0 }, 1);
      } catch (error) {
        return error;
      }
    })();
    expect(isParleyError(tooMany) && tooMany.id).toBe('file_quota_exceeded');
    expect(() => checkQuota(quota, { files: 1, bytes: 500 }, 501)).toThrow(
      /may take 1000 bytes in all, 500 bytes are taken/,
    );
    expect(sizeText(200 * 1048576)).toBe('200 MiB');
    expect(sizeText(100_000)).toBe('97.7 KiB');
  });

  it('refuses the file past PARLEY_FILE_CHAT_MAX_FILES as file_quota_exceeded; other chats are not affected', async () => {
    const chat = await visitorChat();
    for (let i = 0; i < MAX_FILES; i += 1) await upload(chat, pdf(1000)).expect(201);
    const refused = await upload(chat, pdf(1000)).expect(409);
    expect(refused.body.error.id).toBe('file_quota_exceeded');
    expect(refused.body.error.message).toMatch(/already holds 3 files.*most a chat may hold is 3/);
    expect(stored()).toHaveLength(MAX_FILES);
    expect(pending()).toEqual([]);
    expect(await db('files').where({ chat_id: chat.chatId }).count({ n: '*' })).toEqual([
      { n: MAX_FILES },
    ]);

    const other = await visitorChat();
    await upload(other, pdf(1000)).expect(201);
  });

  it('refuses a file that would take the chat past PARLEY_FILE_CHAT_MAX_BYTES, declared or not', async () => {
    const chat = await visitorChat();
    await upload(chat, pdf(60_000)).expect(201);
    // Declared (Content-Length): refused before the body is scanned.
    const declared = await upload(chat, pdf(50_000)).expect(409);
    expect(declared.body.error.id).toBe('file_quota_exceeded');
    expect(declared.body.error.message).toMatch(/97\.7 KiB in all, 58\.6 KiB are taken/);
    // Not declared: refused as the bytes arrive.
    const streamed = await chunkedUpload(chat, pdf(50_000));
    expect(streamed.status).toBe(409);
    expect(streamed.body.error?.id).toBe('file_quota_exceeded');
    // What still fits is accepted.
    const fits = await upload(chat, pdf(30_000)).expect(201);
    expect((fits.body as { message: MessageView }).message.file?.size).toBe(30_000);
    expect(stored()).toHaveLength(2);
    expect(pending()).toEqual([]);
  });

  it('concurrent uploads take the last place in turn: exactly one of them gets it', async () => {
    const chat = await visitorChat();
    for (let i = 0; i < MAX_FILES - 1; i += 1) await upload(chat, pdf(1000)).expect(201);
    const results = await Promise.all([1, 2, 3].map(() => upload(chat, pdf(1000))));
    expect(results.map((res) => res.status).sort()).toEqual([201, 409, 409]);
    expect(await db('files').where({ chat_id: chat.chatId }).count({ n: '*' })).toEqual([
      { n: MAX_FILES },
    ]);
    expect(stored()).toHaveLength(MAX_FILES);
    expect(pending()).toEqual([]);
  });

  it('files deleted with the chat free the quota again', async () => {
    const chat = await visitorChat();
    for (let i = 0; i < MAX_FILES; i += 1) await upload(chat, pdf(1000)).expect(201);
    await upload(chat, pdf(1000)).expect(409);
    await t.parley.services.files.deleteChatFiles(chat.chatId);
    await upload(chat, pdf(1000)).expect(201);
  });
});
