import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { ok, routedAgent, setRule, startChat, until } from './helpers.ts';

// Availability drives routing (issue 14): an agent who turns away or offline gives back the offers
// they have not answered, and an agent who comes online is offered what waits — through the status
// the agent picks in the console, not a call into routing.

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

describe('a change of status', () => {
  it('returns an away agent’s offer to the queue and offers it to an agent who comes online', async () => {
    await setRule(db, null, 'round_robin', { capacity: 3, timeout: 60 });
    const a = await routedAgent([t], db, sockets);
    const b = await routedAgent([t], db, sockets, false);
    const { chatId } = await startChat(t, sockets);
    await until(() => a.offers.length === 1, 5000, 'offer to a');
    expect(a.offers[0]!.chatId).toBe(chatId);

    ok(await a.socket.emitWithAck('presence:set', { status: 'away' }));
    await until(() => a.closed.length === 1, 5000, 'offer withdrawn when a turned away');
    expect(a.closed[0]).toMatchObject({ chatId, outcome: 'withdrawn' });
    expect(b.offers).toEqual([]);

    ok(await b.socket.emitWithAck('presence:set', { status: 'online' }));
    await until(() => b.offers.length === 1, 5000, 'offer to b once online');
    expect(b.offers[0]!.chatId).toBe(chatId);
    const history = await db('agent_status_history')
      .whereIn('agent_id', [a.id, b.id])
      .orderBy('id')
      .select('agent_id', 'status', 'cause');
    expect(history).toEqual(
      expect.arrayContaining([
        { agent_id: a.id, status: 'away', cause: 'chosen' },
        { agent_id: b.id, status: 'online', cause: 'chosen' },
      ]),
    );
  }, 30_000);
});
