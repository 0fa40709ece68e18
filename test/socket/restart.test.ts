import { newClientId } from '../../app/shared/clientIds.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { connectVisitor, connected, startTestParley, visitorToken } from '../harness/parley.ts';

let db: Db;
beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
});
afterAll(() => db.destroy());

it('keeps an acknowledged message across a restart of the app, over long-polling too', async () => {
  const first = await startTestParley();
  const token = await visitorToken(first);
  // Long-polling only: what a visitor behind a proxy that blocks websockets gets.
  const before = connectVisitor(first.url, token, { transports: ['polling'] });
  await connected(before);
  const started = await before.emitWithAck('chat:start', {});
  if (!started.ok) throw new Error(started.error.id);
  const clientId = newClientId();
  const ack = await before.emitWithAck('message:send', {
    chatId: started.chat.id,
    clientId,
    body: 'durable',
  });
  expect(ack.ok).toBe(true);
  before.disconnect();
  await first.close();

  const second = await startTestParley();
  try {
    const after = connectVisitor(second.url, token);
    await connected(after);
    const list = await after.emitWithAck('chat:list', {});
    if (!list.ok) throw new Error(list.error.id);
    expect(list.chats.map((c) => c.id)).toEqual([started.chat.id]);
    const sync = await after.emitWithAck('chat:sync', { chatId: started.chat.id, afterSeq: 0 });
    if (!sync.ok) throw new Error(sync.error.id);
    expect(sync.messages).toMatchObject([{ seq: 1, clientId, body: 'durable', author: 'visitor' }]);
    after.disconnect();
  } finally {
    await second.close();
  }
});
