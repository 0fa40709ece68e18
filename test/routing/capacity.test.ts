import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { routedAgent, setRule, sleep, startChat, until } from './helpers.ts';

// Capacity by role (issue 14): a role's default caps its agents below a larger department default;
// an agent's own limit still wins over both.

let t: TestParley;
let db: Db;
let cards: number;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ PARLEY_LOG_LEVEL: process.env.ROUTING_LOG ?? 'silent' });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  await db('roles').insert({ name: 'trainee', description: '', default_capacity: 1 });
  await db('permission_grants').insert({
    permission: 'chats.accept',
    role: 'trainee',
    scope: 'all',
  });
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

/** A Cards chat (the global rule is manual, so nothing is offered until it is in Cards). */
async function cardsChat(): Promise<number> {
  const { chatId } = await startChat(t, sockets);
  await db('chats').where({ id: chatId }).update({ department_id: cards });
  return chatId;
}

const openOffers = async (agentId: number) =>
  Number(
    (
      await db('chat_offers').where({ agent_id: agentId }).whereNull('outcome').count({ n: '*' })
    )[0]!.n,
  );

describe("a role's default capacity", () => {
  it('keeps a trainee (role default 1) at one offer while Cards’ default is 3; their own limit wins', async () => {
    await setRule(db, null, 'manual');
    await setRule(db, cards, 'round_robin', { capacity: 3 });
    const trainee = await routedAgent([t], db, sockets);
    await db('agents').where({ id: trainee.id }).update({ role: 'trainee' });
    const colleague = await routedAgent([t], db, sockets);
    for (let i = 0; i < 5; i += 1) await cardsChat();

    await t.parley.services.routing.route();
    await until(() => colleague.offers.length === 3, 5000, 'three offers to the colleague');
    await sleep(1200); // a sweep or two: nothing more is offered to the trainee
    expect(trainee.offers).toHaveLength(1);
    expect(await openOffers(trainee.id)).toBe(1);
    expect(await openOffers(colleague.id)).toBe(3);
    // One chat still waits: both are full.
    expect(await db('chats').where({ status: 'queued' })).toHaveLength(5);

    // The trainee's own limit of 2 wins over the role's 1: the waiting chat goes to them.
    await db('agent_capacity').insert({ agent_id: trainee.id, max_chats: 2 });
    await t.parley.services.routing.route();
    await until(() => trainee.offers.length === 2, 5000, 'a second offer to the trainee');
    expect(await openOffers(trainee.id)).toBe(2);
    expect(colleague.offers).toHaveLength(3);
  }, 30_000);

  it('is lowered by a smaller department default', async () => {
    await setRule(db, null, 'manual');
    await setRule(db, cards, 'round_robin', { capacity: 1 });
    await db('roles').where({ name: 'trainee' }).update({ default_capacity: 4 });
    const trainee = await routedAgent([t], db, sockets);
    await db('agents').where({ id: trainee.id }).update({ role: 'trainee' });
    for (let i = 0; i < 3; i += 1) await cardsChat();

    await t.parley.services.routing.route();
    await until(() => trainee.offers.length === 1, 5000, 'an offer to the trainee');
    await sleep(1200);
    expect(await openOffers(trainee.id)).toBe(1);
  }, 30_000);
});
