import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type AgentSocket, type TestParley } from '../harness/parley.ts';
import {
  FAST_PRESENCE,
  consoleSocket,
  history,
  historyReaches,
  ok,
  signedInAgent,
  sleep,
} from './presence.helpers.ts';

// Two app processes on one database (issue 14): availability is decided in the database, so a
// socket closing on one process does not take offline an agent still connected to the other, and
// two sweeps running at once record one change.

let one: TestParley;
let two: TestParley;
let db: Db;
const sockets: AgentSocket[] = [];

beforeAll(async () => {
  db = testDb();
  [one, two] = await Promise.all([startTestParley(FAST_PRESENCE), startTestParley(FAST_PRESENCE)]);
});
afterAll(async () => {
  await Promise.all([one.close(), two.close()]);
  await db.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

describe('availability across two app processes', () => {
  it('keeps online an agent whose socket on process 1 closed while one on process 2 stays', async () => {
    const agent = await signedInAgent(db, one);
    const onOne = await consoleSocket(one, agent, sockets);
    const onTwo = await consoleSocket(two, agent, sockets);
    await historyReaches(db, agent.id, 1);
    onOne.disconnect();
    await sleep(2000); // twice the grace, many sweeps on both processes
    expect(await history(db, agent.id)).toEqual([
      { status: 'online', previous: 'offline', cause: 'connect' },
    ]);
    expect(ok(await onTwo.emitWithAck('presence:get', {})).presence.status).toBe('online');

    onTwo.disconnect();
    expect((await historyReaches(db, agent.id, 2)).at(-1)).toEqual({
      status: 'offline',
      previous: 'online',
      cause: 'disconnect',
    });
  });

  it('records one idle-away and one return when both processes sweep and hear activity', async () => {
    const agent = await signedInAgent(db, one);
    const onOne = await consoleSocket(one, agent, sockets);
    const onTwo = await consoleSocket(two, agent, sockets);
    await db('roles').where({ name: 'agent' }).update({ away_after_minutes: 0.02 });
    // Read from the database: without a shared adapter, each process tells only its own sockets.
    expect((await historyReaches(db, agent.id, 2)).at(-1)).toMatchObject({ cause: 'idle' });
    await sleep(500); // more sweeps on both processes: nothing more to record
    const replies = await Promise.all([
      onOne.emitWithAck('presence:activity', {}),
      onTwo.emitWithAck('presence:activity', {}),
    ]);
    expect(replies).toEqual([
      expect.objectContaining({ ok: true }),
      expect.objectContaining({ ok: true }),
    ]);
    await historyReaches(db, agent.id, 3);
    await sleep(300);
    expect((await history(db, agent.id)).map((row) => row.cause)).toEqual([
      'connect',
      'idle',
      'activity',
    ]);
  });

  it('starts the grace period for the sockets of a process that stops (a restart keeps status)', async () => {
    const three = await startTestParley(FAST_PRESENCE);
    const agent = await signedInAgent(db, three);
    await consoleSocket(three, agent, sockets);
    await historyReaches(db, agent.id, 1);
    await three.close();
    // Process 1 and 2's sweeps take the agent offline once the grace has passed.
    expect((await historyReaches(db, agent.id, 2)).at(-1)).toEqual({
      status: 'offline',
      previous: 'online',
      cause: 'disconnect',
    });
    expect(await db('agent_sockets').where({ agent_id: agent.id })).toEqual([]);
  });
});
