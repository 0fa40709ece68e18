import { createRole } from '../harness/factories.ts';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BoardView } from '../../app/shared/presence.ts';
import type { Db } from '../../app/storage/db.ts';
import { HINT_PACE_MS } from '../../app/socket/presenceDelivery.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import {
  nextEvent,
  startTestParley,
  type AgentSocket,
  type TestParley,
} from '../harness/parley.ts';
import {
  FAST_PRESENCE,
  consoleSocket,
  historyReaches,
  ok,
  signedInAgent,
} from './presence.helpers.ts';

// The admins' live board (chats.monitor, scoped by the grant's departments) and the Agents panel
// (colleagues of the same departments), both kept live through rooms (issue 14).

let t: TestParley;
let db: Db;
let cards: number;
let loans: number;
const sockets: AgentSocket[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(FAST_PRESENCE);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  loans = Number((await db('departments').insert({ name: 'Loans' }))[0]);
  await createRole(db, 'cards_supervisor', [{ permission: 'chats.monitor', ids: [cards] }]);
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

async function queuedChat(departmentId: number | null): Promise<number> {
  const visitorId = randomUUID();
  await db('visitors').insert({ id: visitorId });
  const [id] = await db('chats').insert({
    visitor_id: visitorId,
    department_id: departmentId,
    status: 'queued',
  });
  return Number(id);
}

const board = async (socket: AgentSocket): Promise<BoardView> =>
  ok(await socket.emitWithAck('board:get', {})).board;

/** Nothing arrives on this event within `ms`. */
const silent = (socket: AgentSocket, event: string, ms = 600) =>
  nextEvent(socket, event, () => true, ms).then(
    () => false,
    () => true,
  );

describe('the live board', () => {
  it("shows a Cards supervisor the Cards agents' status and load and Cards' waiting chats only", async () => {
    const cardsAgent = await signedInAgent(db, t, 'agent', [cards]);
    const loansAgent = await signedInAgent(db, t, 'agent', [loans]);
    const cardsSocket = await consoleSocket(t, cardsAgent, sockets);
    await consoleSocket(t, loansAgent, sockets);
    await historyReaches(db, loansAgent.id, 1);
    const handled = await queuedChat(cards);
    await queuedChat(cards);
    await queuedChat(loans);
    await queuedChat(null);
    const supervisor = await consoleSocket(
      t,
      await signedInAgent(db, t, 'cards_supervisor'),
      sockets,
    );

    const first = await board(supervisor);
    expect(first.agents.map((agent) => [agent.agentId, agent.status, agent.activeChats])).toEqual([
      [cardsAgent.id, 'online', 0],
    ]);
    expect(first.waiting).toEqual([
      expect.objectContaining({ departmentId: cards, departmentName: 'Cards', waiting: 2 }),
    ]);

    // Live: the Cards agent accepts a chat, then goes away; the board is told each time.
    let changed = nextEvent(supervisor, 'board:changed');
    ok(await cardsSocket.emitWithAck('chat:accept', { chatId: handled }));
    await changed;
    const loaded = await board(supervisor);
    expect(loaded.agents[0]).toMatchObject({ activeChats: 1 });
    expect(loaded.waiting[0]).toMatchObject({ waiting: 1 });
    changed = nextEvent(supervisor, 'board:changed');
    ok(await cardsSocket.emitWithAck('presence:set', { status: 'away' }));
    await changed;
    expect((await board(supervisor)).agents[0]).toMatchObject({ status: 'away' });
  });

  it("is not told of a Loans agent's status, while an unscoped supervisor sees everything", async () => {
    const loansAgent = await signedInAgent(db, t, 'agent', [loans]);
    const loansSocket = await consoleSocket(t, loansAgent, sockets);
    await historyReaches(db, loansAgent.id, 1);
    await queuedChat(null);
    // The chat's own "board changed" hint is paced: let it go out before listening for silence.
    await delay(HINT_PACE_MS + 100);
    const cardsSupervisor = await consoleSocket(
      t,
      await signedInAgent(db, t, 'cards_supervisor'),
      sockets,
    );
    const admin = await consoleSocket(t, await signedInAgent(db, t, 'admin'), sockets);
    const adminTold = nextEvent(admin, 'board:changed');
    const cardsQuiet = silent(cardsSupervisor, 'board:changed');
    ok(await loansSocket.emitWithAck('presence:set', { status: 'away' }));
    await adminTold;
    expect(await cardsQuiet).toBe(true);
    expect((await board(cardsSupervisor)).agents).toEqual([]);
    const everything = await board(admin);
    expect(everything.agents.find((agent) => agent.agentId === loansAgent.id)).toMatchObject({
      status: 'away',
      departmentIds: [loans],
    });
    expect(everything.waiting).toEqual([
      expect.objectContaining({ departmentId: null, waiting: 1 }),
    ]);
  });

  it('refuses the board to an agent without chats.monitor', async () => {
    const agent = await consoleSocket(t, await signedInAgent(db, t, 'agent', [cards]), sockets);
    expect(await agent.emitWithAck('board:get', {})).toMatchObject({
      ok: false,
      error: { id: 'forbidden' },
    });
  });
});

describe('the Agents panel', () => {
  it('lists colleagues of the same departments with status and load, live', async () => {
    const me = await signedInAgent(db, t, 'agent', [cards]);
    const colleague = await signedInAgent(db, t, 'agent', [cards, loans]);
    const stranger = await signedInAgent(db, t, 'agent', [loans]);
    const mine = await consoleSocket(t, me, sockets);
    const theirs = await consoleSocket(t, colleague, sockets);
    await consoleSocket(t, stranger, sockets);
    await historyReaches(db, colleague.id, 1);

    const list = ok(await mine.emitWithAck('colleagues:list', {})).colleagues;
    expect(list.map((entry) => [entry.agentId, entry.status])).toEqual([[colleague.id, 'online']]);
    const told = nextEvent(mine, 'colleagues:changed');
    ok(await theirs.emitWithAck('presence:set', { status: 'away' }));
    await told;
    const after = ok(await mine.emitWithAck('colleagues:list', {})).colleagues;
    expect(after[0]).toMatchObject({ agentId: colleague.id, status: 'away', activeChats: 0 });
  });
});
