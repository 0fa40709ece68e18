import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import {
  ok,
  routedAgent,
  setPresence,
  setRule,
  sleep,
  startChat,
  until,
  type RoutedAgent,
} from './helpers.ts';

// Routing across two app processes on one database (issue 14).

let t1: TestParley;
let t2: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  [t1, t2] = await Promise.all([
    startTestParley({ PARLEY_LOG_LEVEL: process.env.ROUTING_LOG ?? 'silent' }),
    startTestParley({ PARLEY_LOG_LEVEL: process.env.ROUTING_LOG ?? 'silent' }),
  ]);
});
afterAll(async () => {
  await Promise.all([t1.close(), t2.close()]);
  await db.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

const offersOf = (chatId: number) =>
  db('chat_offers')
    .where({ chat_id: chatId })
    .orderBy('id')
    .select('agent_id', 'outcome', 'reason');

/** Each agent's active chats plus open offers, read in one statement (one consistent snapshot). */
async function loads(): Promise<number[]> {
  const [rows] = (await db.raw(
    `SELECT (SELECT COUNT(*) FROM chats c WHERE c.agent_id = a.id AND c.status = 'active')
          + (SELECT COUNT(*) FROM chat_offers o WHERE o.agent_id = a.id AND o.outcome IS NULL) AS n
       FROM agents a`,
  )) as [{ n: number }[]];
  return rows.map((row) => Number(row.n));
}

describe('100 chats in bursts, 5 agents of capacity 3, two app processes', () => {
  it('offers each chat once, oldest first, never past capacity, spread evenly by round robin', async () => {
    await setRule(db, null, 'round_robin', { capacity: 3, timeout: 30 });
    const agents: RoutedAgent[] = [];
    for (let i = 0; i < 5; i += 1)
      agents.push(await routedAgent(i < 3 ? [t1, t2] : [t2, t1], db, sockets));
    // Each agent takes what it is offered, holds the chat a moment and ends it.
    for (const agent of agents) {
      agent.onOffer((offer) => {
        void (async () => {
          await sleep(10 + Math.random() * 20);
          ok(await agent.socket.emitWithAck('chat:accept', { chatId: offer.chatId }));
          await sleep(60 + Math.random() * 60);
          ok(await agent.socket.emitWithAck('chat:end', { chatId: offer.chatId }));
        })().catch((error: unknown) => failures.push(String(error)));
      });
    }
    const failures: string[] = [];
    let maxLoad = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        maxLoad = Math.max(maxLoad, ...(await loads()));
        await sleep(25);
      }
    })();

    const chatIds: number[] = [];
    for (let burst = 0; burst < 4; burst += 1) {
      const started = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          startChat(i % 2 === 0 ? t1 : t2, sockets, `V${burst}-${i}`),
        ),
      );
      chatIds.push(...started.map((s) => s.chatId));
      await sleep(300);
    }
    await until(
      async () =>
        Number((await db('chats').where({ status: 'ended' }).count({ n: '*' }))[0]!.n) === 100,
      60_000,
      'every chat ended',
    );
    polling = false;
    await poller;

    expect(failures).toEqual([]);
    const offered = agents.flatMap((a) => a.offers.map((o) => o.chatId));
    expect(offered).toHaveLength(100);
    expect(new Set(offered).size).toBe(100);
    const rows: { chat_id: number; outcome: string; created_at: Date; id: number }[] = await db(
      'chat_offers as o',
    )
      .join('chats as c', 'c.id', 'o.chat_id')
      .orderBy('o.id')
      .select('o.chat_id', 'o.outcome', 'c.created_at', 'c.id');
    expect(rows).toHaveLength(100);
    expect(rows.every((row) => row.outcome === 'accepted')).toBe(true);
    // FIFO: offers were made in the order the chats arrived.
    const order = rows.map((row) => [new Date(row.created_at).getTime(), Number(row.id)] as const);
    const inversions = order.filter(
      (o, i) =>
        i > 0 &&
        (o[0] < order[i - 1]![0] || (o[0] === order[i - 1]![0] && o[1] < order[i - 1]![1])),
    );
    expect(inversions).toEqual([]);
    expect(maxLoad).toBeLessThanOrEqual(3);
    expect(maxLoad).toBe(3); // the load reached capacity, so the limit was exercised
    const counts = agents.map((a) => a.offers.length);
    const spread = Math.max(...counts) - Math.min(...counts);
    process.stdout.write(`round robin: offers per agent ${counts.join(', ')}; max-min ${spread}\n`);
    expect(spread).toBeLessThanOrEqual(6);
  }, 120_000);
});

describe('least busy', () => {
  it('offers to the agent with the fewest chats, ties to the one idle longest', async () => {
    await setRule(db, null, 'least_busy', { capacity: 3 });
    const [a, b, c] = [
      await routedAgent([t1, t2], db, sockets),
      await routedAgent([t1, t2], db, sockets),
      await routedAgent([t2, t1], db, sockets),
    ];
    // a holds 2 chats, b 1, c none (accepted by hand while routing was manual).
    await setRule(db, null, 'manual', { capacity: 3 });
    for (const [agent, n] of [
      [a, 2],
      [b, 1],
    ] as const) {
      for (let i = 0; i < n; i += 1) {
        const { chatId } = await startChat(t1, sockets);
        ok(await agent.socket.emitWithAck('chat:accept', { chatId }));
      }
    }
    await setRule(db, null, 'least_busy', { capacity: 3 });
    const first = await startChat(t2, sockets);
    await until(() => c.offers.length === 1, 5000, 'offer to c');
    expect(c.offers[0]!.chatId).toBe(first.chatId);
    // b and c now both hold 1; b has never been offered a chat, so b has been idle longest.
    const second = await startChat(t1, sockets);
    await until(() => b.offers.length === 1, 5000, 'offer to b');
    expect(b.offers[0]!.chatId).toBe(second.chatId);
    expect(a.offers).toHaveLength(0);
  }, 30_000);
});

describe('offers that are not taken', () => {
  it('moves an unanswered offer to the next agent after the timeout, once across both processes', async () => {
    await setRule(db, null, 'round_robin', { timeout: 1, capacity: 3 });
    const a = await routedAgent([t1, t2], db, sockets);
    const b = await routedAgent([t2, t1], db, sockets);
    const { chatId } = await startChat(t2, sockets);
    await until(() => a.offers.length === 1, 5000, 'offer to a');
    const offeredAt = Date.now();
    await until(() => b.offers.length === 1, 5000, 'offer to b');
    const movedAfter = Date.now() - offeredAt;
    expect(movedAfter).toBeGreaterThanOrEqual(900);
    expect(movedAfter).toBeLessThan(3500);
    expect(a.closed).toEqual([{ offerId: a.offers[0]!.offerId, chatId, outcome: 'timed_out' }]);
    ok(await b.socket.emitWithAck('chat:accept', { chatId }));
    expect(await offersOf(chatId)).toMatchObject([
      { agent_id: a.id, outcome: 'timed_out' },
      { agent_id: b.id, outcome: 'accepted' },
    ]);
  }, 30_000);

  it('sends a refused chat to the next agent, and after M refusals back to the manual queue, flagged', async () => {
    await setRule(db, null, 'round_robin', { maxRefusals: 2, capacity: 3 });
    const [a, b, c] = [
      await routedAgent([t1, t2], db, sockets),
      await routedAgent([t2, t1], db, sockets),
      await routedAgent([t1, t2], db, sockets),
    ];
    const { chatId } = await startChat(t1, sockets);
    await until(() => a.offers.length === 1, 5000, 'offer to a');
    // Only the offered agent may refuse it.
    const notTheirs = await b.socket.emitWithAck('chat:refuse', { chatId, reason: 'not mine' });
    expect(notTheirs).toMatchObject({ ok: false, error: { id: 'offer_not_found' } });
    // Nor accept it while it is offered to someone else.
    const taken = await c.socket.emitWithAck('chat:accept', { chatId });
    expect(taken).toMatchObject({ ok: false, error: { id: 'chat_offered' } });
    ok(
      await a.socket.emitWithAck('chat:refuse', {
        chatId,
        reason: 'card 4111 1111 1111 1111 busy',
      }),
    );
    await until(() => b.offers.length === 1, 5000, 'offer to b');
    ok(await b.socket.emitWithAck('chat:refuse', { chatId, reason: 'in a meeting' }));
    await sleep(1500); // two sweeps of both processes: nobody else is offered it
    expect(c.offers).toHaveLength(0);
    const offers = await offersOf(chatId);
    expect(offers).toMatchObject([
      { agent_id: a.id, outcome: 'refused' },
      { agent_id: b.id, outcome: 'refused', reason: 'in a meeting' },
    ]);
    expect(offers[0]!.reason).toBe('card 4111 11•• •••• 1111 busy'); // masked before storage
    const queue = ok(await c.socket.emitWithAck('queue:list', {})).queue;
    expect(queue).toMatchObject([{ chatId, routing: 'flagged' }]);
    const audited: { actor_id: string; outcome: string }[] = await db('audit_events')
      .where({ action: 'chat.refuse' })
      .orderBy('id');
    expect(audited.map((row) => [Number(row.actor_id), row.outcome])).toEqual([
      [b.id, 'failure'], // b tried to refuse a chat not offered to them
      [a.id, 'success'],
      [b.id, 'success'],
    ]);
    // Picked by hand from the manual queue.
    ok(await c.socket.emitWithAck('chat:accept', { chatId }));
  }, 30_000);

  it('returns an unavailable agent’s offers to the queue and to the next agent', async () => {
    await setRule(db, null, 'round_robin', { capacity: 3 });
    const a = await routedAgent([t1, t2], db, sockets);
    const b = await routedAgent([t2, t1], db, sockets, false);
    const { chatId } = await startChat(t2, sockets);
    await until(() => a.offers.length === 1, 5000, 'offer to a');
    await setPresence(db, a.id, 'offline');
    await t1.parley.services.routing.agentUnavailable(a.id);
    await until(() => a.closed.length === 1, 5000, 'offer withdrawn');
    expect(a.closed[0]).toMatchObject({ chatId, outcome: 'withdrawn' });
    // Nobody else online: the chat waits in the queue, offered to no one.
    const queue = ok(await b.socket.emitWithAck('queue:list', {})).queue;
    expect(queue).toEqual([expect.objectContaining({ chatId, position: 1 })]);
    expect(queue[0]!.routing).toBeUndefined();
    // b comes online: the chat is offered to b.
    await setPresence(db, b.id, 'online');
    await t2.parley.services.routing.agentAvailable();
    await until(() => b.offers.length === 1, 5000, 'offer to b');
    expect(b.offers[0]!.chatId).toBe(chatId);
  }, 30_000);
});
