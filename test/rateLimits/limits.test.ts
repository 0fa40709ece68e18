import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Ack, RateLimitsResponse } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN, WIDGET_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  capturingLogger,
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  startTestParley,
  visitorToken,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';
import {
  fromAck,
  fromConnect,
  fromHttp,
  refusesBeyondBurstThenRecovers,
  type Outcome,
} from './helpers.ts';

// Each visitor limit against a real Parley, real Redis (the dev services' one, under keys of this
// Parley's own) and real MariaDB and clamd: refused past its burst with too_many_requests and a
// retry-after, passing again after that wait; per visitor and per address independently.

const TIGHT = '2/2s+1'; // two per 2-second window, one more in bursts (over 20 s)
let db: Db;
const running: TestParley[] = [];
const sockets: { disconnect(): unknown }[] = [];

beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());
beforeEach(() => truncateAll(db));
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  for (const t of running.splice(0)) await t.close();
});

async function parley(overrides: Record<string, string>, log = capturingLogger().log) {
  const t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false', ...overrides }, log);
  running.push(t);
  return t;
}

async function visitor(t: TestParley, token?: string, headers: Record<string, string> = {}) {
  const socket = connectVisitor(t.url, token ?? (await visitorToken(t)), { extraHeaders: headers });
  sockets.push(socket);
  await connected(socket);
  return socket;
}

/** A visitor in a chat an agent has accepted, so that messages and files are really delivered. */
async function activeChat(t: TestParley) {
  const { agent, password } = await createAgent(db);
  const agentSocket = connectAgent(t.url, await signIn(t, agent.email, password));
  sockets.push(agentSocket);
  const token = await visitorToken(t);
  const socket = await visitor(t, token);
  await connected(agentSocket);
  const started = await socket.emitWithAck('chat:start', { name: 'Ada' });
  if (!started.ok) throw new Error(started.error.id);
  const accepted = await agentSocket.emitWithAck('chat:accept', { chatId: started.chat.id });
  if (!accepted.ok) throw new Error(accepted.error.id);
  return { chatId: started.chat.id, socket, token };
}

const ack = (reply: unknown) => fromAck(reply as Ack<unknown>);
let clientIds = 0;
const send = (socket: VisitorSocket, chatId: number) =>
  socket.emitWithAck('message:send', { chatId, clientId: `message-${++clientIds}`, body: 'hello' });

describe('each limit refuses past its burst with too_many_requests, then recovers', () => {
  it('visitor tokens, per address: 429 with Retry-After, the CORS headers, the error body', async () => {
    const t = await parley({ PARLEY_RATE_TOKEN_PER_ADDRESS: TIGHT });
    await refusesBeyondBurstThenRecovers(async () =>
      fromHttp(await t.http().post('/api/visitor/token').set('Origin', WIDGET_ORIGIN).send({})),
    );
    // Past the limit again (the burst is spent for 20 s), to look at a refusal's whole answer.
    await t.http().post('/api/visitor/token').send({});
    const refused = await t.http().post('/api/visitor/token').set('Origin', WIDGET_ORIGIN).send({});
    expect(refused.status).toBe(429);
    expect(refused.headers['access-control-allow-origin']).toBe(WIDGET_ORIGIN);
    expect(refused.headers['access-control-expose-headers']).toContain('Retry-After');
    expect(refused.body).toEqual({
      error: {
        id: 'too_many_requests',
        message: expect.stringMatching(
          /^Too many visitor sessions were requested; please wait \d+ seconds? and try again\.$/,
        ),
        retryAfter: expect.any(Number),
      },
      requestId: expect.any(String),
    });
  });

  it('visitor tokens, per visitor: renewing one token is limited, a new visitor is not', async () => {
    const t = await parley({ PARLEY_RATE_TOKEN_PER_VISITOR: TIGHT });
    const token = await visitorToken(t); // issued without a token: counted per address only
    await refusesBeyondBurstThenRecovers(async () =>
      fromHttp(await t.http().post('/api/visitor/token').send({ token })),
    );
    const renew = () => t.http().post('/api/visitor/token').send({ token });
    await renew();
    await renew();
    expect((await renew()).status).toBe(429);
    expect((await t.http().post('/api/visitor/token').send({})).status).toBe(200);
  });

  it('socket connections, per address: connect_error with { id, retryAfter }, then HTTP 429 before any session', async () => {
    const t = await parley({ PARLEY_RATE_CONNECT_PER_ADDRESS: TIGHT });
    const token = await visitorToken(t);
    const attempt = (extra: Record<string, unknown> = {}) => {
      const socket = connectVisitor(t.url, token, extra);
      sockets.push(socket);
      return fromConnect(socket);
    };
    const first = await refusesBeyondBurstThenRecovers(attempt);
    expect(first.early).toBeUndefined(); // the first refusal is the handshake's, with its data
    expect((await attempt()).limited).toBe(false);
    expect(await attempt()).toMatchObject({ limited: true, retryAfter: expect.any(Number) });
    // Known to be over now: new connections from the address are refused before Engine.IO
    // opens a session, over long-polling and WebSocket alike.
    expect(await attempt()).toMatchObject({ limited: true, early: true });
    expect(await attempt({ transports: ['websocket'] })).toMatchObject({ limited: true });
    // The console's own origin is never refused that early (agents share offices with visitors).
    expect(await attempt({ extraHeaders: { origin: TEST_ORIGIN } })).toMatchObject({
      limited: true,
      retryAfter: expect.any(Number),
    });
  });

  it('socket connections, per visitor: one token is limited, another from the same address is not', async () => {
    const t = await parley({ PARLEY_RATE_CONNECT_PER_VISITOR: TIGHT });
    const token = await visitorToken(t);
    const attempt = () => {
      const socket = connectVisitor(t.url, token);
      sockets.push(socket);
      return fromConnect(socket);
    };
    await refusesBeyondBurstThenRecovers(attempt);
    await attempt();
    await attempt();
    expect((await attempt()).limited).toBe(true);
    const other = connectVisitor(t.url, await visitorToken(t));
    sockets.push(other);
    expect(await fromConnect(other)).toEqual({ limited: false });
  });

  it('chat starts, per visitor: the ack carries too_many_requests and retryAfter', async () => {
    const t = await parley({ PARLEY_RATE_CHAT_START_PER_VISITOR: TIGHT });
    const socket = await visitor(t);
    const outcomes: Outcome[] = [];
    await refusesBeyondBurstThenRecovers(async () => {
      const outcome = ack(await socket.emitWithAck('chat:start', {}));
      outcomes.push(outcome);
      return outcome;
    });
    // Counted whatever the outcome: the first starts a chat, the next find it already open.
    expect(outcomes.map((o) => o.id ?? 'ok')).toEqual([
      'ok',
      'chat_already_open',
      'chat_already_open',
      'too_many_requests',
      'chat_already_open',
    ]);
  });

  it('messages, per visitor: a refused message is not stored, and is stored when resent after the wait', async () => {
    const t = await parley({ PARLEY_RATE_MESSAGE_PER_VISITOR: TIGHT });
    const chat = await activeChat(t);
    await refusesBeyondBurstThenRecovers(async () => ack(await send(chat.socket, chat.chatId)));
    const bodies = await db('messages').where({ chat_id: chat.chatId, author_kind: 'visitor' });
    expect(bodies).toHaveLength(4); // three, then the refused one was not stored, then one more
    // A refused message resent with the same client id after the wait is stored once.
    await send(chat.socket, chat.chatId);
    const resend = { chatId: chat.chatId, clientId: 'resend-once', body: 'again' };
    const refused = await chat.socket.emitWithAck('message:send', resend);
    expect(ack(refused).limited).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, ack(refused).retryAfter! * 1000 + 150));
    expect((await chat.socket.emitWithAck('message:send', resend)).ok).toBe(true);
    expect(await db('messages').where({ client_id: 'resend-once' })).toHaveLength(1);
  });

  it('typing events, per visitor', async () => {
    const t = await parley({ PARLEY_RATE_TYPING_PER_VISITOR: TIGHT });
    const chat = await activeChat(t);
    await refusesBeyondBurstThenRecovers(async () =>
      ack(await chat.socket.emitWithAck('typing', { chatId: chat.chatId, typing: true })),
    );
  });

  it('file uploads, per visitor: refused before the body is read or scanned', async () => {
    const t = await parley({ PARLEY_RATE_UPLOAD_PER_VISITOR: TIGHT });
    const chat = await activeChat(t);
    let n = 0;
    await refusesBeyondBurstThenRecovers(async () =>
      fromHttp(
        await t
          .http()
          .post(`/api/visitor/chats/${chat.chatId}/files`)
          .set('Origin', WIDGET_ORIGIN)
          .set('Authorization', `Bearer ${chat.token}`)
          .set('Content-Type', 'application/octet-stream')
          .set('X-Parley-File-Name', `note-${++n}.txt`)
          .send(Buffer.from(`note ${n}\n`)),
      ),
    );
    expect(await db('files')).toHaveLength(4);
  });
});

describe('per address and per visitor are counted apart', () => {
  it('visitors behind one address share its budget; another address (via a trusted proxy) does not', async () => {
    const t = await parley({
      PARLEY_RATE_MESSAGE_PER_ADDRESS: TIGHT,
      PARLEY_TRUSTED_PROXIES: '127.0.0.1',
    });
    const first = await activeChat(t);
    const second = await activeChat(t);
    expect(ack(await send(first.socket, first.chatId)).limited).toBe(false);
    expect(ack(await send(first.socket, first.chatId)).limited).toBe(false);
    expect(ack(await send(second.socket, second.chatId)).limited).toBe(false); // the burst
    expect(ack(await send(second.socket, second.chatId)).limited).toBe(true); // same address
    // The same visitor, through the trusted proxy from another address, has its own budget.
    const elsewhere = await visitor(t, second.token, { 'x-forwarded-for': '203.0.113.9' });
    expect(ack(await send(elsewhere, second.chatId)).limited).toBe(false);
  });
});

describe('admins see the refusals as counts, never as log lines', () => {
  it('counts per limit, per hour and per network; nothing is logged per refused attempt', async () => {
    const { log, lines } = capturingLogger();
    const t = await parley(
      {
        PARLEY_RATE_MESSAGE_PER_VISITOR: TIGHT,
        PARLEY_RATE_TOKEN_PER_ADDRESS: '10/60s',
        PARLEY_TRUSTED_PROXIES: '127.0.0.1',
      },
      log,
    );
    const chat = await activeChat(t);
    for (let i = 0; i < 3; i += 1) await send(chat.socket, chat.chatId); // within the limit
    const before = lines.length;
    const refusals: Outcome[] = [];
    for (let i = 0; i < 40; i += 1) refusals.push(ack(await send(chat.socket, chat.chatId)));
    for (let i = 0; i < 12; i += 1) {
      const res = await t
        .http()
        .post('/api/visitor/token')
        .set('X-Forwarded-For', '198.51.100.77')
        .send({});
      refusals.push(fromHttp(res));
    }
    expect(refusals.filter((o) => o.limited)).toHaveLength(42); // 40 messages, 2 tokens
    // The ten tokens given out are logged as requests; the refusals are not logged at all.
    const logged = lines.slice(before);
    expect(logged).toHaveLength(10);
    // The status as a field ("status":429), not any 429 (a random request id may hold one).
    expect(logged.filter((line) => /"status":429|too_many_requests|refus/.test(line))).toEqual([]);

    const { agent, password } = await createAgent(db, { role: 'admin' });
    const cookie = await signIn(t, agent.email, password);
    const res = await t.http().get('/api/rate-limits?hours=2').set('Cookie', cookie).expect(200);
    const report = res.body as RateLimitsResponse;
    expect(report).toMatchObject({ counting: 'shared', redis: 'up' });
    const byId = Object.fromEntries(report.limits.map((limit) => [limit.id, limit]));
    expect(byId.message).toMatchObject({
      label: 'Messages',
      perVisitor: { points: 2, seconds: 2, burst: 1, burstSeconds: 20 },
      perAddress: { points: 1200, seconds: 60, burst: 1200 },
      refused: { visitor: 40, address: 0 },
    });
    expect(byId.token!.refused).toEqual({ address: 2, visitor: 0 });
    expect(report.hours).toHaveLength(1);
    expect(report.hours[0]!.refused).toEqual({ 'message.visitor': 40, 'token.address': 2 });
    expect(report.topNetworks).toEqual([
      { network: '127.0.0.0/24', refused: 40 },
      { network: '198.51.100.0/24', refused: 2 },
    ]);
    // The counts live in Redis: a second Parley on the same keys sees the same numbers.
    const other = await parley({ PARLEY_REDIS_KEY_PREFIX: t.config.env.PARLEY_REDIS_KEY_PREFIX });
    const again = await other.http().get('/api/rate-limits').set('Cookie', cookie).expect(200);
    expect((again.body as RateLimitsResponse).hours[0]!.refused['message.visitor']).toBe(40);
  });

  it('refuses an hours value out of range', async () => {
    const t = await parley({});
    const { agent, password } = await createAgent(db, { role: 'admin' });
    const cookie = await signIn(t, agent.email, password);
    const res = await t.http().get('/api/rate-limits?hours=500').set('Cookie', cookie).expect(400);
    expect(res.body.error.id).toBe('invalid_input');
  });
});
