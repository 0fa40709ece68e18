import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  startTestParley,
  visitorToken,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';

// A refused message is never overtaken: once the visitor's message:send was refused, the same
// socket's next ones are refused until its retry-after has passed, even when the limit's window
// refilled meanwhile. (Found under load: the widget's messages 6 and 7 were stored out of order.)

let t: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  // One message per 2-second window, no burst.
  t = await startTestParley({ PARLEY_RATE_MESSAGE_PER_VISITOR: '1/2s+0' });
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await t.close();
  await db.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the order of a visitor’s messages past the limit', () => {
  it('refuses the next message until the refused one may be sent again', async () => {
    const { agent, password } = await createAgent(db);
    const agentSocket = connectAgent(t.url, await signIn(t, agent.email, password));
    const visitor: VisitorSocket = connectVisitor(t.url, await visitorToken(t));
    sockets.push(agentSocket, visitor);
    await Promise.all([connected(agentSocket), connected(visitor)]);
    const started = await visitor.emitWithAck('chat:start', { name: 'Ada' });
    if (!started.ok) throw new Error(started.error.id);
    const chatId = started.chat.id;
    expect((await agentSocket.emitWithAck('chat:accept', { chatId })).ok).toBe(true);
    const send = (n: number) =>
      visitor.emitWithAck('message:send', { chatId, clientId: `ordered-${n}`, body: `m${n}` });

    expect((await send(1)).ok).toBe(true); // the window opens
    await sleep(1500);
    const second = await send(2); // 0.5 s before the window ends: refused, "retry in 1 s"
    expect(second).toMatchObject({ ok: false, error: { id: 'too_many_requests', retryAfter: 1 } });
    await sleep(700); // the window has refilled; the retry-after has not passed
    const third = await send(3);
    expect(third).toMatchObject({ ok: false, error: { id: 'too_many_requests' } });

    await sleep(1000); // the client waits as told, then sends again in order
    expect((await send(2)).ok).toBe(true);
    const stored = await db('messages')
      .where({ chat_id: chatId, author_kind: 'visitor' })
      .orderBy('seq')
      .pluck('body');
    expect(stored).toEqual(['m1', 'm2']);
  });
});
