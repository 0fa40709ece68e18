import { createRole } from '../harness/factories.ts';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BoardView } from '../../app/shared/presence.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import {
  nextEvent,
  startTestParley,
  type AgentSocket,
  type TestParley,
} from '../harness/parley.ts';
import { routedAgent, setRule, sleep, startChat, until } from '../routing/helpers.ts';
import { FAST_PRESENCE, consoleSocket, ok, signedInAgent } from './presence.helpers.ts';

// The live board marks the waiting chats routing gave up on (issue 14): refused or unanswered as
// often as their department's rule allows, back in the manual queue; a supervisor sees them per
// department, as far as their chats.monitor grant reaches.

let t: TestParley;
let db: Db;
let cards: number;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ ...FAST_PRESENCE, PARLEY_LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  await createRole(db, 'cards_supervisor', [{ permission: 'chats.monitor', ids: [cards] }]);
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

const board = async (socket: AgentSocket): Promise<BoardView> =>
  ok(await socket.emitWithAck('board:get', {})).board;
const rowOf = (view: BoardView, departmentId: number | null) =>
  view.waiting.find((row) => row.departmentId === departmentId);

/** A supervisor's console, away: an admin may accept chats too, and routing must not offer them any. */
async function supervisor(role: string): Promise<AgentSocket> {
  const socket = await consoleSocket(t, await signedInAgent(db, t, role), sockets as AgentSocket[]);
  ok(await socket.emitWithAck('presence:set', { status: 'away' }));
  return socket;
}

describe('chats routing gave up on, on the live board', () => {
  it('flags a chat after M refusals, live, for the supervisor who covers it', async () => {
    await setRule(db, null, 'round_robin', { maxRefusals: 2 });
    const admin = await supervisor('admin');
    const a = await routedAgent([t], db, sockets);
    const b = await routedAgent([t], db, sockets);
    const { chatId } = await startChat(t, sockets, 'Grace');
    await until(() => a.offers.length === 1, 5000, 'offer to a');

    ok(await a.socket.emitWithAck('chat:refuse', { chatId, reason: 'busy' }));
    await until(() => b.offers.length === 1, 5000, 'offer to b');
    await sleep(500); // the hints of that offer have arrived
    // One refusal of two: not given up on yet.
    expect(rowOf(await board(admin), null)).toMatchObject({ waiting: 1, flagged: [] });

    // The second refusal tells the board, which then shows the chat flagged.
    const changed = nextEvent(admin, 'board:changed', () => true, 3000);
    ok(await b.socket.emitWithAck('chat:refuse', { chatId, reason: 'in a meeting' }));
    await changed;
    const row = rowOf(await board(admin), null)!;
    expect(row.waiting).toBe(1);
    expect(row.flagged).toEqual([
      { chatId, visitorName: 'Grace', since: expect.any(String) as string, declines: 2 },
    ]);
    // Picked by hand, it leaves the board.
    ok(await a.socket.emitWithAck('chat:accept', { chatId }));
    expect(rowOf(await board(admin), null)).toBeUndefined();
  }, 30_000);

  it("counts timeouts too, by the department's own limit, and shows a Cards supervisor Cards only", async () => {
    await setRule(db, null, 'round_robin', { maxRefusals: 3 });
    await setRule(db, cards, 'round_robin', { maxRefusals: 1, timeout: 1 });
    const a = await routedAgent([t], db, sockets);
    const cardsSupervisor = await supervisor('cards_supervisor');
    const admin = await supervisor('admin');
    // A Cards chat and a chat of no department, each refused once.
    const visitorId = randomUUID();
    await db('visitors').insert({ id: visitorId });
    const [id] = await db('chats').insert({
      visitor_id: visitorId,
      department_id: cards,
      status: 'queued',
      visitor_name: 'Linus',
    });
    const cardsChat = Number(id);
    const other = await startChat(t, sockets, 'Ada');
    await t.parley.services.routing.route();
    await until(() => a.offers.length === 2, 5000, 'both chats offered to a');
    ok(await a.socket.emitWithAck('chat:refuse', { chatId: other.chatId, reason: 'busy' }));
    // The Cards offer is left unanswered: after 1 s it times out, and 1 is Cards' limit.
    await until(
      async () => (rowOf(await board(admin), cards)?.flagged.length ?? 0) === 1,
      5000,
      'the Cards chat flagged',
    );

    const everything = await board(admin);
    expect(rowOf(everything, cards)?.flagged).toMatchObject([
      { chatId: cardsChat, visitorName: 'Linus', declines: 1 },
    ]);
    // One refusal is below the global limit of 3: waiting, not flagged.
    expect(rowOf(everything, null)).toMatchObject({ waiting: 1, flagged: [] });
    const cardsOnly = await board(cardsSupervisor);
    expect(cardsOnly.waiting.map((row) => [row.departmentId, row.flagged.length])).toEqual([
      [cards, 1],
    ]);
  }, 30_000);
});
