import { randomBytes } from 'node:crypto';
import { newClientId } from '../../app/shared/clientIds.ts';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Ack, ChatView, MessageView } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN, WIDGET_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { request as httpsRequest } from 'node:https';
import {
  caCert,
  connectAgent,
  connectVisitor,
  connected,
  nextEvent,
  signIn,
  startTestParley,
  visitorToken,
  visitorUpload,
  type AgentSocket,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';
import { eicar, privateClamd, type PrivateClamd } from './privateClamd.ts';
import { storedZip } from './zip.ts';

// Real MariaDB, real clamd (the dev one with the test signatures; a private one where the test stops
// it), real HTTPS. Files land in a directory of this test, which it inspects on disk.

const filesDir = mkdtempSync(join(tmpdir(), 'parley-files-'));
let t: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({
    PARLEY_FILES_DIR: filesDir,
    PARLEY_FILE_MAX_BYTES: String(3 * 1024 * 1024),
    PARLEY_FILE_ALLOWED_TYPES: 'png,jpg,gif,webp,pdf,txt,zip',
  });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  for (const sub of ['store', 'tmp'])
    for (const name of readdirSync(join(filesDir, sub))) rmSync(join(filesDir, sub, name));
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

function ok<T>(reply: Ack<T>): Extract<Ack<T>, { ok: true }> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}: ${reply.error.message}`);
  return reply;
}

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const pdf = () =>
  Buffer.concat([
    Buffer.from('%PDF-1.4\n% statement\n'),
    randomBytes(20_000),
    Buffer.from('\n%%EOF\n'),
  ]);
/** Printable ASCII, so that it is detected as text. */
const text = (bytes: number) =>
  Buffer.from(
    randomBytes(bytes)
      .toString('base64')
      .slice(0, bytes)
      .replace(/(.{76})/g, '$1\n'),
  );

interface Chat {
  chatId: number;
  vsocket: VisitorSocket;
  token: string;
  asocket: AgentSocket;
  cookie: string;
}

async function activeChat(server: TestParley = t): Promise<Chat> {
  const { agent, password } = await createAgent(db, { role: 'agent' });
  const cookie = await signIn(server, agent.email, password);
  const asocket = connectAgent(server.url, cookie);
  const token = await visitorToken(server);
  const vsocket = connectVisitor(server.url, token);
  sockets.push(asocket, vsocket);
  await Promise.all([connected(asocket), connected(vsocket)]);
  const started = ok(await vsocket.emitWithAck('chat:start', { name: 'Ada' }));
  ok(await asocket.emitWithAck('chat:accept', { chatId: started.chat.id }));
  return { chatId: started.chat.id, vsocket, token, asocket, cookie };
}

function agentUpload(server: TestParley, chat: Chat, name: string, data: Buffer) {
  return server
    .http()
    .post(`/api/chats/${chat.chatId}/files`)
    .set('Origin', TEST_ORIGIN)
    .set('Cookie', chat.cookie)
    .set('Content-Type', 'application/octet-stream')
    .set('X-Parley-File-Name', encodeURIComponent(name))
    .send(data);
}

const stored = () => readdirSync(join(filesDir, 'store'));
const pending = () => readdirSync(join(filesDir, 'tmp'));

/** Whether any file on the volume contains these bytes (it must not: blocked, or encrypted). */
function onDisk(needle: Buffer): boolean {
  return [
    ...stored().map((f) => join(filesDir, 'store', f)),
    ...pending().map((f) => join(filesDir, 'tmp', f)),
  ].some((path) => readFileSync(path).includes(needle));
}

async function auditActions(action: string) {
  return db('audit_events').where({ action }).orderBy('id');
}

describe('file transfer in both directions', () => {
  it('a visitor sends a PNG: scanned, stored encrypted, shown to the agent, downloaded by both', async () => {
    const chat = await activeChat();
    const agentSees = nextEvent<MessageView>(
      chat.asocket,
      'message:new',
      (m) => m.file !== undefined,
    );
    const res = await visitorUpload(t, chat, 'screen shot.png', PNG).expect(201);
    const message = (res.body as { message: MessageView }).message;
    expect(message).toMatchObject({
      author: 'visitor',
      body: 'screen shot.png',
      file: { name: 'screen shot.png', size: PNG.length, type: 'image/png', scan: 'clean' },
    });
    expect(res.headers['access-control-allow-origin']).toBe(WIDGET_ORIGIN);
    expect((await agentSees).file?.id).toBe(message.file!.id);

    // On disk: one stored file, encrypted (the PNG signature is nowhere), no temp file left.
    expect(stored()).toHaveLength(1);
    expect(pending()).toHaveLength(0);
    expect(onDisk(PNG.subarray(0, 16))).toBe(false);

    const agentGets = await t
      .http()
      .get(`/api/files/${message.file!.id}`)
      .set('Cookie', chat.cookie)
      .buffer(true)
      .parse((r, done) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => done(null, Buffer.concat(parts)));
      })
      .expect(200);
    expect(Buffer.compare(agentGets.body as Buffer, PNG)).toBe(0);
    expect(agentGets.headers['content-type']).toBe('image/png');
    expect(agentGets.headers['content-disposition']).toBe(
      `attachment; filename="screen shot.png"; filename*=UTF-8''screen%20shot.png`,
    );
    expect(agentGets.headers['x-content-type-options']).toBe('nosniff');
    expect(agentGets.headers['content-security-policy']).toMatch(/^sandbox; default-src 'none'/);

    const visitorGets = await t
      .http()
      .get(`/api/visitor/files/${message.file!.id}`)
      .set('Authorization', `Bearer ${chat.token}`)
      .buffer(true)
      .parse((r, done) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => done(null, Buffer.concat(parts)));
      })
      .expect(200);
    expect(Buffer.compare(visitorGets.body as Buffer, PNG)).toBe(0);

    // In the conversation on replay and in the transcript.
    const synced = ok(
      await chat.asocket.emitWithAck('chat:sync', { chatId: chat.chatId, afterSeq: 0 }),
    );
    expect(synced.messages.find((m) => m.file)?.file?.name).toBe('screen shot.png');
    const audits = await auditActions('file.upload');
    expect(audits).toHaveLength(1);
    expect(await auditActions('file.download')).toHaveLength(2);
  });

  it('an agent sends a PDF: the visitor sees it and downloads it with the bearer token', async () => {
    const chat = await activeChat();
    const data = pdf();
    const visitorSees = nextEvent<MessageView>(
      chat.vsocket,
      'message:new',
      (m) => m.file !== undefined,
    );
    const res = await agentUpload(t, chat, 'Statement März.pdf', data).expect(201);
    const message = (res.body as { message: MessageView }).message;
    expect(message.file).toMatchObject({
      name: 'Statement März.pdf',
      type: 'application/pdf',
      size: data.length,
    });
    expect((await visitorSees).author).toBe('agent');
    const got = await t
      .http()
      .get(`/api/visitor/files/${message.file!.id}`)
      .set('Authorization', `Bearer ${chat.token}`)
      .buffer(true)
      .parse((r, done) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => done(null, Buffer.concat(parts)));
      })
      .expect(200);
    expect(Buffer.compare(got.body as Buffer, data)).toBe(0);
    expect(got.headers['content-disposition']).toContain(
      `filename*=UTF-8''Statement%20M%C3%A4rz.pdf`,
    );
  });

  it('a resent upload (same client id) shares the first file again and keeps no second copy', async () => {
    const chat = await activeChat();
    const send = () =>
      visitorUpload(t, chat, 'statement.pdf', pdf()).set('X-Parley-Client-Id', 'resend-1');
    const before = stored().length;
    const first = await send().expect(201);
    const again = await send().expect(201);
    expect(again.body).toEqual(first.body);
    expect(stored().length).toBe(before + 1);
    const rows = await db('files').where({ chat_id: chat.chatId });
    const shared = (first.body as { message: MessageView }).message.file!;
    expect(rows.map((r: { id: number }) => r.id)).toEqual([shared.id]);
  });

  it('answers the widget preflight for uploads with the allowed headers', async () => {
    const res = await t
      .http()
      .options('/api/visitor/chats/1/files')
      .set('Origin', WIDGET_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
    expect(res.headers['access-control-allow-headers']).toContain('X-Parley-File-Name');
    expect(res.headers['access-control-allow-headers']).toContain('Authorization');
    // The widget names each upload so a retried upload is stored once.
    expect(res.headers['access-control-allow-headers']).toContain('X-Parley-Client-Id');
  });
});

describe('the virus scanner blocks infected files, which are never written', () => {
  const cases: [string, string, () => Buffer][] = [
    ['EICAR as a file', 'eicar.txt', () => eicar()],
    ['EICAR inside a zip', 'archive.zip', () => storedZip([{ name: 'eicar.com', data: eicar() }])],
    [
      'EICAR inside a nested zip',
      'nested.zip',
      () =>
        storedZip([
          { name: 'readme.txt', data: Buffer.from('hello\n') },
          { name: 'inner.zip', data: storedZip([{ name: 'deep/eicar.com', data: eicar() }]) },
        ]),
    ],
    [
      'EICAR in the middle of a larger file',
      'notes.txt',
      () => Buffer.concat([text(1024 * 1024), eicar(), text(1024 * 1024)]),
    ],
  ];
  for (const [title, name, data] of cases) {
    it(`${title}: refused as file_blocked, audited with the signature, agent told`, async () => {
      const chat = await activeChat();
      const agentSees = nextEvent<MessageView>(
        chat.asocket,
        'message:new',
        (m) => m.author === 'system',
      );
      const res = await visitorUpload(t, chat, name, data()).expect(422);
      expect(res.body.error).toMatchObject({
        id: 'file_blocked',
        message: 'This file was blocked by the virus scanner.',
      });
      expect((await agentSees).body).toBe(
        'A file from the visitor was blocked by the virus scanner.',
      );
      expect(stored()).toEqual([]);
      expect(pending()).toEqual([]);
      expect(await db('files').count({ n: '*' })).toEqual([{ n: 0 }]);
      const [blocked] = await auditActions('file.blocked');
      expect(blocked).toBeDefined();
      expect(JSON.stringify(blocked.details)).toContain('Eicar-Test-Signature');
    });
  }
});

describe('refusals, each with its own error id', () => {
  it('masks a card number typed into a file name before it is stored or shown', async () => {
    const chat = await activeChat();
    const res = await visitorUpload(t, chat, 'card 4111 1111 1111 1111.png', PNG).expect(201);
    const name = res.body.message.file.name as string;
    expect(name).not.toContain('4111 1111 1111 1111');
    expect(name).toBe('card 4111 11•• •••• 1111.png');
    const rows = await db('files').select('name');
    expect(JSON.stringify(rows)).not.toMatch(/4111 ?1111 ?1111 ?1111/);
  });

  it('a file over the size limit: file_too_large, nothing stored', async () => {
    const chat = await activeChat();
    const res = await visitorUpload(t, chat, 'big.txt', text(3 * 1024 * 1024 + 10)).expect(413);
    expect(res.body.error.id).toBe('file_too_large');
    expect(stored()).toEqual([]);
    expect(pending()).toEqual([]);
  });

  it('wrong magic bytes for an allowed extension: file_type_mismatch', async () => {
    const chat = await activeChat();
    const asPng = await visitorUpload(t, chat, 'statement.png', pdf()).expect(415);
    expect(asPng.body.error.id).toBe('file_type_mismatch');
    const binary = await visitorUpload(t, chat, 'photo.jpg', randomBytes(5000)).expect(415);
    expect(binary.body.error.id).toBe('file_type_mismatch');
    const htmlAsPng = await visitorUpload(t, chat, 'x.png', Buffer.from('<html></html>')).expect(
      415,
    );
    expect(htmlAsPng.body.error.id).toBe('file_type_mismatch');
  });

  it('a type that is not allowed: file_type_not_allowed', async () => {
    const chat = await activeChat();
    const res = await visitorUpload(t, chat, 'setup.exe', Buffer.from('MZ....')).expect(415);
    expect(res.body.error.id).toBe('file_type_not_allowed');
    const svg = await visitorUpload(t, chat, 'x.svg', Buffer.from('<svg/>')).expect(415);
    expect(svg.body.error.id).toBe('file_type_not_allowed');
  });

  it('path-traversal and control-character names: file_name_invalid', async () => {
    const chat = await activeChat();
    for (const name of [
      '../../etc/passwd.txt',
      '..\\..\\boot.txt',
      '/abs.txt',
      'a\u0000b.txt',
      'evil\u202Etxt.exe',
      '..',
    ]) {
      const res = await visitorUpload(t, chat, name, Buffer.from('hello\n')).expect(400);
      expect(res.body.error.id, name).toBe('file_name_invalid');
    }
    expect(stored()).toEqual([]);
  });

  it('a visitor of another chat cannot download: file_not_found', async () => {
    const chat = await activeChat();
    const res = await visitorUpload(t, chat, 'a.txt', Buffer.from('private\n')).expect(201);
    const fileId = (res.body as { message: MessageView }).message.file!.id;
    const stranger = await visitorToken(t);
    const denied = await t
      .http()
      .get(`/api/visitor/files/${fileId}`)
      .set('Authorization', `Bearer ${stranger}`)
      .expect(404);
    expect(denied.body.error.id).toBe('file_not_found');
    const noToken = await t.http().get(`/api/visitor/files/${fileId}`).expect(401);
    expect(noToken.body.error.id).toBe('unauthenticated');
  });

  it('an agent without a transcript permission covering the chat cannot download: forbidden', async () => {
    const chat = await activeChat();
    const res = await visitorUpload(t, chat, 'a.txt', Buffer.from('private\n')).expect(201);
    const fileId = (res.body as { message: MessageView }).message.file!.id;
    const { agent, password } = await createAgent(db, { role: 'agent' });
    const other = await signIn(t, agent.email, password);
    const denied = await t.http().get(`/api/files/${fileId}`).set('Cookie', other).expect(403);
    expect(denied.body.error.id).toBe('forbidden');
    const failures = await db('audit_events').where({
      action: 'file.download',
      outcome: 'failure',
    });
    expect(failures).toHaveLength(1);
    // An admin (transcripts.view_all) may.
    const admin = await createAgent(db, { role: 'admin' });
    const adminCookie = await signIn(t, admin.agent.email, admin.password);
    await t.http().get(`/api/files/${fileId}`).set('Cookie', adminCookie).expect(200);
  });

  it('an agent upload from another origin is refused (CSRF)', async () => {
    const chat = await activeChat();
    const res = await t
      .http()
      .post(`/api/chats/${chat.chatId}/files`)
      .set('Origin', 'https://evil.example')
      .set('Cookie', chat.cookie)
      .set('Content-Type', 'application/octet-stream')
      .set('X-Parley-File-Name', 'a.txt')
      .send(Buffer.from('x\n'))
      .expect(403);
    expect(res.body.error.id).toBe('origin_not_allowed');
  });
});

describe('an upload the sender abandons', () => {
  it('leaves nothing behind: the temp file is removed and nothing is stored', async () => {
    const chat = await activeChat();
    const url = new URL(`/api/visitor/chats/${chat.chatId}/files`, t.url);
    const req = httpsRequest(url, {
      method: 'POST',
      ca: caCert(),
      headers: {
        Authorization: `Bearer ${chat.token}`,
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(2 * 1024 * 1024),
        'X-Parley-File-Name': 'half.txt',
      },
    });
    req.on('error', () => undefined);
    req.write(text(600 * 1024));
    // Wait until the scan has started (a temp file exists), then vanish mid-upload.
    for (let i = 0; i < 100 && pending().length === 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pending()).toHaveLength(1);
    req.destroy();
    for (let i = 0; i < 100 && pending().length > 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pending()).toEqual([]);
    expect(stored()).toEqual([]);
    expect(await db('files').count({ n: '*' })).toEqual([{ n: 0 }]);
  });
});

describe('served so that it can never run in Parley’s origin', () => {
  it('an HTML file named .txt is stored as text/plain and served as an attachment with the sandbox CSP', async () => {
    const chat = await activeChat();
    const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>\n');
    const res = await visitorUpload(t, chat, 'page.txt', html).expect(201);
    const file = (res.body as { message: MessageView }).message.file!;
    expect(file.type).toBe('text/plain');
    const got = await t.http().get(`/api/files/${file.id}`).set('Cookie', chat.cookie).expect(200);
    expect(got.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(got.headers['content-disposition']).toMatch(/^attachment;/);
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['content-security-policy']).toContain('sandbox');
  });
});

describe('retention and erasure', () => {
  it('deleteChatFiles removes the rows (with their wrapped keys) and the bytes; the message stays', async () => {
    const chat = await activeChat();
    const res = await visitorUpload(t, chat, 'a.pdf', pdf()).expect(201);
    const fileId = (res.body as { message: MessageView }).message.file!.id;
    expect(stored()).toHaveLength(1);
    expect(await t.parley.services.files.deleteChatFiles(chat.chatId)).toBe(1);
    expect(stored()).toEqual([]);
    expect(await db('files').where({ id: fileId }).first()).toBeUndefined();
    await t.http().get(`/api/files/${fileId}`).set('Cookie', chat.cookie).expect(404);
    const synced = ok(
      await chat.asocket.emitWithAck('chat:sync', { chatId: chat.chatId, afterSeq: 0 }),
    );
    const message = synced.messages.find((m) => m.body === 'a.pdf');
    expect(message).toBeDefined();
    expect(message!.file).toBeUndefined();
  });
});

describe('fail closed when clamd is down, slow or at its limit (a private clamd)', () => {
  let clamd: PrivateClamd;
  let p: TestParley;
  beforeAll(async () => {
    clamd = await privateClamd({ streamMaxLength: '1M' });
    await clamd.start();
    p = await startTestParley({
      PARLEY_FILES_DIR: filesDir,
      PARLEY_CLAMD_PORT: String(clamd.port),
      PARLEY_CLAMD_TIMEOUT_MS: '1000',
      PARLEY_CLAMD_SCAN_TIMEOUT_MS: '1500',
    });
  }, 90_000);
  afterAll(async () => {
    clamd.resume();
    await p.close();
    await clamd.stop();
  });

  it('clamd stopped: uploads refused as retryable scanner_unavailable, chat works; back: uploads work', async () => {
    const chat = await activeChat(p);
    await visitorUpload(p, chat, 'before.txt', Buffer.from('before\n')).expect(201);

    await clamd.stop();
    const refused = await visitorUpload(p, chat, 'during.txt', Buffer.from('during\n')).expect(503);
    expect(refused.body.error.id).toBe('scanner_unavailable');
    expect(refused.body.error.message).toMatch(/virus scanner is unavailable.*try again/i);
    expect(pending()).toEqual([]);
    const agentGets = nextEvent<MessageView>(
      chat.asocket,
      'message:new',
      (m) => m.body === 'still here?',
    );
    ok(
      await chat.vsocket.emitWithAck('message:send', {
        chatId: chat.chatId,
        clientId: newClientId(),
        body: 'still here?',
      }),
    );
    await agentGets;

    await clamd.start();
    const after = await visitorUpload(p, chat, 'after.txt', Buffer.from('after\n')).expect(201);
    expect((after.body as { message: MessageView }).message.file?.name).toBe('after.txt');
  }, 90_000);

  it('clamd over its StreamMaxLength: file_scan_limit with clamd’s own reply, not a broken pipe', async () => {
    const chat = await activeChat(p);
    const res = await visitorUpload(p, chat, 'big.txt', text(2 * 1024 * 1024)).expect(422);
    expect(res.body.error.id).toBe('file_scan_limit');
    // clamd's reply, or — when Node's failed write dropped it unread — what clamd's behaviour means.
    expect(res.body.error.message).toMatch(/INSTREAM size limit exceeded|StreamMaxLength/);
    expect(pending()).toEqual([]);
  });

  it('clamd hung: the scan times out as retryable scanner_unavailable', async () => {
    const chat = await activeChat(p);
    clamd.pause();
    try {
      const res = await visitorUpload(p, chat, 'slow.txt', Buffer.from('slow\n')).expect(503);
      expect(res.body.error.id).toBe('scanner_unavailable');
    } finally {
      clamd.resume();
    }
    expect(pending()).toEqual([]);
  }, 30_000);
});

void (undefined as unknown as ChatView);
