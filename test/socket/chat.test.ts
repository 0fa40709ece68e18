import { newClientId } from '../../app/shared/clientIds.ts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  Ack,
  ChatView,
  MessageView,
  QueueEntry,
  TypingEvent,
} from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { WIDGET_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  nextEvent,
  signIn,
  startTestParley,
  visitorToken,
  type AgentSocket,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';

let t: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley();
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

type Ok<T> = Extract<Ack<T>, { ok: true }>;

function ok<T>(reply: Ack<T>): Ok<T> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}: ${reply.error.message}`);
  return reply;
}

async function visitor(token?: string): Promise<{ socket: VisitorSocket; token: string }> {
  const visitorTokenValue = token ?? (await visitorToken(t));
  const socket = connectVisitor(t.url, visitorTokenValue);
  sockets.push(socket);
  await connected(socket);
  return { socket, token: visitorTokenValue };
}

async function agent(
  role: 'admin' | 'agent' = 'agent',
): Promise<{ socket: AgentSocket; cookie: string }> {
  const { agent: row, password } = await createAgent(db, { role });
  const cookie = await signIn(t, row.email, password);
  const socket = connectAgent(t.url, cookie);
  sockets.push(socket);
  await connected(socket);
  return { socket, cookie };
}

const send = (
  socket: VisitorSocket | AgentSocket,
  chatId: number,
  body: string,
  clientId = newClientId(),
) => (socket as VisitorSocket).emitWithAck('message:send', { chatId, clientId, body });

describe('a visitor and an agent chat in real time', () => {
  it('queues, accepts, exchanges messages and typing, and ends into a transcript', async () => {
    const a = await agent();
    const queueSeen = nextEvent<QueueEntry[]>(a.socket, 'queue:updated', (q) => q.length === 1);
    const v = await visitor();
    const started = ok(
      await v.socket.emitWithAck('chat:start', {
        name: 'Ada',
        email: 'ada@example.test',
        question: 'Card lost',
      }),
    );
    expect(started.chat).toMatchObject({ status: 'queued', queuePosition: 1, visitorName: 'Ada' });
    const queue = await queueSeen;
    expect(queue[0]).toMatchObject({ chatId: started.chat.id, visitorName: 'Ada', position: 1 });

    const visitorSeesAccept = nextEvent<ChatView>(
      v.socket,
      'chat:updated',
      (c) => c.status === 'active',
    );
    const accepted = ok(await a.socket.emitWithAck('chat:accept', { chatId: started.chat.id }));
    expect(accepted.chat.status).toBe('active');
    expect((await visitorSeesAccept).agentName).toMatch(/^Agent /);

    const agentGetsMessage = nextEvent<MessageView>(
      a.socket,
      'message:new',
      (m) => m.body === 'Hello?',
    );
    const sent = ok(await send(v.socket, started.chat.id, 'Hello?'));
    expect(sent.message.seq).toBe(2); // the pre-chat question is message 1
    expect((await agentGetsMessage).seq).toBe(2);

    const visitorGetsReply = nextEvent<MessageView>(
      v.socket,
      'message:new',
      (m) => m.author === 'agent',
    );
    ok(await send(a.socket, started.chat.id, 'Hi Ada, I can help.'));
    expect(await visitorGetsReply).toMatchObject({
      seq: 3,
      body: 'Hi Ada, I can help.',
      author: 'agent',
    });

    const agentSeesTyping = nextEvent<TypingEvent>(a.socket, 'typing');
    ok(await v.socket.emitWithAck('typing', { chatId: started.chat.id, typing: true }));
    expect(await agentSeesTyping).toEqual({
      chatId: started.chat.id,
      author: 'visitor',
      typing: true,
    });
    const visitorSeesTyping = nextEvent<TypingEvent>(v.socket, 'typing');
    ok(await a.socket.emitWithAck('typing', { chatId: started.chat.id, typing: true }));
    expect(await visitorSeesTyping).toMatchObject({ author: 'agent', typing: true });

    const agentSeesEnd = nextEvent<ChatView>(a.socket, 'chat:updated', (c) => c.status === 'ended');
    ok(await v.socket.emitWithAck('chat:end', { chatId: started.chat.id }));
    await agentSeesEnd;
    const late = await send(v.socket, started.chat.id, 'one more thing');
    expect(late).toMatchObject({ ok: false, error: { id: 'chat_ended' } });

    const transcript = await t
      .http()
      .get(`/api/transcripts/${started.chat.id}`)
      .set('Cookie', a.cookie)
      .expect(200);
    expect((transcript.body as { messages: MessageView[] }).messages.map((m) => m.body)).toEqual([
      'Card lost',
      'Hello?',
      'Hi Ada, I can help.',
    ]);
  });

  it('shows each waiting visitor their place in the queue, updated as it moves', async () => {
    const a = await agent();
    const first = await visitor();
    const second = await visitor();
    const c1 = ok(await first.socket.emitWithAck('chat:start', {})).chat;
    const c2 = ok(await second.socket.emitWithAck('chat:start', {})).chat;
    expect(c2.queuePosition).toBe(2);
    const moved = nextEvent<ChatView>(second.socket, 'chat:updated', (c) => c.queuePosition === 1);
    ok(await a.socket.emitWithAck('chat:accept', { chatId: c1.id }));
    expect((await moved).id).toBe(c2.id);
  });

  it('lets one agent hold several chats at once, each delivered to the right visitor', async () => {
    const a = await agent();
    const visitors = await Promise.all([visitor(), visitor(), visitor()]);
    const chats = [];
    for (const v of visitors) chats.push(ok(await v.socket.emitWithAck('chat:start', {})).chat);
    for (const chat of chats) ok(await a.socket.emitWithAck('chat:accept', { chatId: chat.id }));
    const mine = ok(await a.socket.emitWithAck('chat:mine', {}));
    expect(mine.chats.map((c) => c.id).sort()).toEqual(chats.map((c) => c.id).sort());

    const received = visitors.map((v, i) =>
      nextEvent<MessageView>(v.socket, 'message:new', (m) => m.author === 'agent').then((m) => [
        i,
        m.body,
      ]),
    );
    for (const [i, chat] of chats.entries()) ok(await send(a.socket, chat.id, `for visitor ${i}`));
    expect(await Promise.all(received)).toEqual([
      [0, 'for visitor 0'],
      [1, 'for visitor 1'],
      [2, 'for visitor 2'],
    ]);
  });

  it('never lets two agents accept the same chat', async () => {
    const [a1, a2] = await Promise.all([agent(), agent()]);
    const v = await visitor();
    const chat = ok(await v.socket.emitWithAck('chat:start', {})).chat;
    const replies = await Promise.all([
      a1.socket.emitWithAck('chat:accept', { chatId: chat.id }),
      a2.socket.emitWithAck('chat:accept', { chatId: chat.id }),
    ]);
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    expect(replies.find((r) => !r.ok)).toMatchObject({
      ok: false,
      error: { id: 'chat_not_queued' },
    });
  });
});

describe('durable delivery', () => {
  it('never duplicates a resent message and replays what a reconnecting client missed, in order', async () => {
    const a = await agent();
    const v = await visitor();
    const chat = ok(await v.socket.emitWithAck('chat:start', {})).chat;
    ok(await a.socket.emitWithAck('chat:accept', { chatId: chat.id }));

    const clientId = newClientId();
    const first = ok(await send(v.socket, chat.id, 'only once', clientId));
    const again = ok(await send(v.socket, chat.id, 'only once', clientId));
    expect(again.message.seq).toBe(first.message.seq);

    v.socket.disconnect();
    for (let i = 1; i <= 5; i += 1) ok(await send(a.socket, chat.id, `missed ${i}`));
    const back = await visitor(v.token);
    const sync = ok(
      await back.socket.emitWithAck('chat:sync', { chatId: chat.id, afterSeq: first.message.seq }),
    );
    expect(sync.messages.map((m) => m.body)).toEqual([
      'missed 1',
      'missed 2',
      'missed 3',
      'missed 4',
      'missed 5',
    ]);
    expect(sync.messages.map((m) => m.seq)).toEqual([2, 3, 4, 5, 6]);
    const all = ok(await back.socket.emitWithAck('chat:sync', { chatId: chat.id, afterSeq: 0 }));
    expect(all.messages.filter((m) => m.clientId === clientId)).toHaveLength(1);
  });

  it('stores one message when the same client id arrives twice at once', async () => {
    const v = await visitor();
    const chat = ok(await v.socket.emitWithAck('chat:start', {})).chat;
    const clientId = newClientId();
    const [a, b] = await Promise.all([
      send(v.socket, chat.id, 'twice', clientId),
      send(v.socket, chat.id, 'twice', clientId),
    ]);
    expect(ok(a).message.seq).toBe(ok(b).message.seq);
    const all = ok(await v.socket.emitWithAck('chat:sync', { chatId: chat.id, afterSeq: 0 }));
    expect(all.messages).toHaveLength(1);
  });

  it('refuses an agent writing in a chat they have not accepted', async () => {
    const [owner, other] = await Promise.all([agent(), agent()]);
    const v = await visitor();
    const chat = ok(await v.socket.emitWithAck('chat:start', {})).chat;
    expect(await send(other.socket, chat.id, 'too early')).toMatchObject({
      ok: false,
      error: { id: 'forbidden' },
    });
    ok(await owner.socket.emitWithAck('chat:accept', { chatId: chat.id }));
    expect(await send(other.socket, chat.id, 'not mine')).toMatchObject({
      ok: false,
      error: { id: 'chat_not_found' },
    });
  });

  it('gives every message of a busy chat a unique, gap-free sequence', async () => {
    const a = await agent();
    const v = await visitor();
    const chat = ok(await v.socket.emitWithAck('chat:start', {})).chat;
    ok(await a.socket.emitWithAck('chat:accept', { chatId: chat.id }));
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => send(i % 2 ? a.socket : v.socket, chat.id, `m${i}`)),
    );
    const seqs = replies.map((r) => ok(r).message.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('isolation and bad input', () => {
  it('keeps a visitor out of another visitor’s chat, with the same answer as a chat that does not exist', async () => {
    const owner = await visitor();
    const intruder = await visitor();
    const chat = ok(await owner.socket.emitWithAck('chat:start', { question: 'private' })).chat;
    for (const reply of [
      await intruder.socket.emitWithAck('chat:sync', { chatId: chat.id, afterSeq: 0 }),
      await send(intruder.socket, chat.id, 'let me in'),
      await intruder.socket.emitWithAck('chat:end', { chatId: chat.id }),
      await intruder.socket.emitWithAck('chat:sync', { chatId: 999999, afterSeq: 0 }),
    ]) {
      expect(reply).toMatchObject({ ok: false, error: { id: 'chat_not_found' } });
    }
    expect(ok(await intruder.socket.emitWithAck('chat:list', {})).chats).toEqual([]);
  });

  it('answers malformed, oversized and unknown payloads with an error ack and keeps the connection', async () => {
    const v = await visitor();
    const chat = ok(await v.socket.emitWithAck('chat:start', {})).chat;
    const bad = await (
      v.socket as unknown as { emitWithAck(e: string, p: unknown): Promise<unknown> }
    ).emitWithAck('message:send', { chatId: 'x', body: 42 });
    expect(bad).toMatchObject({ ok: false, error: { id: 'invalid_input' } });
    const huge = await send(v.socket, chat.id, 'x'.repeat(50_000));
    expect(huge).toMatchObject({ ok: false, error: { id: 'payload_too_large' } });
    const long = await send(v.socket, chat.id, 'x'.repeat(5000));
    expect(long).toMatchObject({ ok: false, error: { id: 'invalid_input' } });
    const unknown = await (
      v.socket as unknown as { emitWithAck(e: string, p: unknown): Promise<unknown> }
    ).emitWithAck('admin:drop-tables', {});
    expect(unknown).toMatchObject({ ok: false, error: { id: 'invalid_input' } });
    expect(v.socket.connected).toBe(true);
    expect(ok(await send(v.socket, chat.id, 'still here')).message.body).toBe('still here');
  });

  it('refuses sockets without a valid credential, and pages from origins that are not allowed', async () => {
    const forged = connectVisitor(t.url, 'v1.00000000-0000-4000-8000-000000000000.1.forged');
    sockets.push(forged);
    await expect(connected(forged)).rejects.toMatchObject({ data: { id: 'unauthenticated' } });
    const noCookie = connectAgent(t.url, '');
    sockets.push(noCookie);
    await expect(connected(noCookie)).rejects.toMatchObject({ data: { id: 'unauthenticated' } });

    const token = await visitorToken(t);
    const allowed = connectVisitor(t.url, token, { extraHeaders: { origin: WIDGET_ORIGIN } });
    sockets.push(allowed);
    await connected(allowed);
    const foreign = connectVisitor(t.url, token, {
      extraHeaders: { origin: 'https://evil.example' },
    });
    sockets.push(foreign);
    await expect(connected(foreign)).rejects.toThrow();
  });

  it('disconnects an agent’s sockets when they sign out', async () => {
    const a = await agent();
    const gone = new Promise((resolve) => a.socket.once('disconnect', resolve));
    await t
      .http()
      .delete('/api/agent/session')
      .set('Cookie', a.cookie)
      .set('Origin', t.config.publicOrigin)
      .expect(204);
    await gone;
    const again = connectAgent(t.url, a.cookie);
    sockets.push(again);
    await expect(connected(again)).rejects.toMatchObject({ data: { id: 'unauthenticated' } });
  });
});
