import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type AgentSocket, type TestParley } from '../harness/parley.ts';
import {
  FAST_PRESENCE,
  consoleSocket,
  history,
  historyReaches,
  ok,
  presenceIs,
  signedInAgent,
  sleep,
  statusAudit,
} from './presence.helpers.ts';

// Agent availability (issue 14): each change of status recorded with its cause, in the status
// history and the audit log; idle-away per role; offline after the grace period.

let t: TestParley;
let db: Db;
const sockets: AgentSocket[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(FAST_PRESENCE);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

describe('an agent chooses a status', () => {
  it('comes online on connect, then records the chosen away in history and audit', async () => {
    const agent = await signedInAgent(db, t);
    const socket = await consoleSocket(t, agent, sockets);
    expect(await historyReaches(db, agent.id, 1)).toEqual([
      { status: 'online', previous: 'offline', cause: 'connect' },
    ]);

    const reply = ok(await socket.emitWithAck('presence:set', { status: 'away' }));
    expect(reply.presence).toMatchObject({ status: 'away', cause: 'chosen' });
    expect(await history(db, agent.id)).toEqual([
      { status: 'online', previous: 'offline', cause: 'connect' },
      { status: 'away', previous: 'online', cause: 'chosen' },
    ]);
    expect(await statusAudit(db, agent.id)).toEqual([
      { actorKind: 'agent', details: { status: ['offline', 'online'], cause: 'connect' } },
      { actorKind: 'agent', details: { status: ['online', 'away'], cause: 'chosen' } },
    ]);
    const row = await db('agent_presence').where({ agent_id: agent.id }).first();
    expect(row).toMatchObject({ status: 'away', cause: 'chosen' });
  });

  it("tells the agent's other console tabs, and refuses a status that does not exist", async () => {
    const agent = await signedInAgent(db, t);
    const first = await consoleSocket(t, agent, sockets);
    const second = await consoleSocket(t, agent, sockets);
    await historyReaches(db, agent.id, 1);
    const seen = presenceIs(second, 'offline');
    ok(await first.emitWithAck('presence:set', { status: 'offline' }));
    expect((await seen).cause).toBe('chosen');
    const bad = await first.emitWithAck('presence:set', { status: 'busy' as 'away' });
    expect(bad.ok).toBe(false);
    expect(await history(db, agent.id)).toHaveLength(2);
  });
});

describe('idle-away, per role', () => {
  it('makes an idle agent away, and activity brings them back (cause activity)', async () => {
    const agent = await signedInAgent(db, t);
    const socket = await consoleSocket(t, agent, sockets);
    const idle = presenceIs(socket, 'away');
    await db('roles').where({ name: 'agent' }).update({ away_after_minutes: 0.02 }); // 1.2 s
    expect((await idle).cause).toBe('idle');

    const back = presenceIs(socket, 'online');
    ok(await socket.emitWithAck('presence:activity', {}));
    expect((await back).cause).toBe('activity');
    expect((await history(db, agent.id)).map((row) => row.cause)).toEqual([
      'connect',
      'idle',
      'activity',
    ]);
    const audit = await statusAudit(db, agent.id);
    expect(audit[1]).toEqual({
      actorKind: 'system',
      details: { status: ['online', 'away'], cause: 'idle' },
    });
  });

  it('keeps a chosen away when the agent is active, and never idles a role without a limit', async () => {
    await db('roles').where({ name: 'agent' }).update({ away_after_minutes: null });
    const agent = await signedInAgent(db, t);
    const socket = await consoleSocket(t, agent, sockets);
    await sleep(1500); // well past what the other test's limit was; several sweeps
    expect((await history(db, agent.id)).map((row) => row.cause)).toEqual(['connect']);

    ok(await socket.emitWithAck('presence:set', { status: 'away' }));
    ok(await socket.emitWithAck('presence:activity', {}));
    await sleep(300);
    const row = await db('agent_presence').where({ agent_id: agent.id }).first();
    expect(row).toMatchObject({ status: 'away', cause: 'chosen' });
    expect((await history(db, agent.id)).map((entry) => entry.cause)).toEqual([
      'connect',
      'chosen',
    ]);
  });

  it('lets an agent active within the limit stay online', async () => {
    const agent = await signedInAgent(db, t);
    const socket = await consoleSocket(t, agent, sockets);
    ok(await socket.emitWithAck('presence:activity', {}));
    await db('roles').where({ name: 'agent' }).update({ away_after_minutes: 0.02 });
    for (let i = 0; i < 6; i += 1) {
      await sleep(300);
      ok(await socket.emitWithAck('presence:activity', {}));
    }
    expect((await history(db, agent.id)).map((row) => row.cause)).toEqual(['connect']);
  });
});

describe('offline after the grace period', () => {
  it('goes offline (cause disconnect) once the last socket has been gone for the grace', async () => {
    const agent = await signedInAgent(db, t);
    const socket = await consoleSocket(t, agent, sockets);
    await historyReaches(db, agent.id, 1);
    socket.disconnect();
    await sleep(300);
    expect(await history(db, agent.id)).toHaveLength(1); // still within the grace
    expect(await historyReaches(db, agent.id, 2)).toEqual([
      { status: 'online', previous: 'offline', cause: 'connect' },
      { status: 'offline', previous: 'online', cause: 'disconnect' },
    ]);
    expect((await statusAudit(db, agent.id))[1]).toEqual({
      actorKind: 'system',
      details: { status: ['online', 'offline'], cause: 'disconnect' },
    });
  });

  it('keeps the status when a socket reconnects within the grace (a reload)', async () => {
    const agent = await signedInAgent(db, t);
    const socket = await consoleSocket(t, agent, sockets);
    await historyReaches(db, agent.id, 1);
    ok(await socket.emitWithAck('presence:set', { status: 'away' }));
    socket.disconnect();
    await sleep(300);
    const again = await consoleSocket(t, agent, sockets);
    expect(ok(await again.emitWithAck('presence:get', {})).presence.status).toBe('away');
    await sleep(1500); // past the grace
    expect((await history(db, agent.id)).map((row) => row.cause)).toEqual(['connect', 'chosen']);
  });

  it('goes offline at sign-out (cause signout), and online again at the next sign-in', async () => {
    const agent = await signedInAgent(db, t);
    await consoleSocket(t, agent, sockets);
    await historyReaches(db, agent.id, 1);
    await t
      .http()
      .delete('/api/agent/session')
      .set('Origin', TEST_ORIGIN)
      .set('Cookie', agent.cookie)
      .expect(204);
    expect((await history(db, agent.id)).at(-1)).toEqual({
      status: 'offline',
      previous: 'online',
      cause: 'signout',
    });
    await sleep(1500); // the closed socket's grace passes: nothing more to record
    expect(await history(db, agent.id)).toHaveLength(2);
  });

  it('goes offline at once (cause signout) when an admin deactivates the agent', async () => {
    const admin = await signedInAgent(db, t, 'admin');
    const agent = await signedInAgent(db, t);
    await consoleSocket(t, agent, sockets);
    await t
      .http()
      .post(`/api/agents/${agent.id}/deactivate`)
      .set('Origin', TEST_ORIGIN)
      .set('Cookie', admin.cookie)
      .send({})
      .expect(200);
    expect((await historyReaches(db, agent.id, 2)).at(-1)).toEqual({
      status: 'offline',
      previous: 'online',
      cause: 'signout',
    });
    await sleep(1500); // the closed socket's grace passes: nothing more to record
    expect(await history(db, agent.id)).toHaveLength(2);
  });

  it('comes online again on connect after a disconnect, but not after choosing offline', async () => {
    const agent = await signedInAgent(db, t);
    const socket = await consoleSocket(t, agent, sockets);
    await historyReaches(db, agent.id, 1);
    socket.disconnect();
    await historyReaches(db, agent.id, 2);
    const again = await consoleSocket(t, agent, sockets);
    await historyReaches(db, agent.id, 3);
    ok(await again.emitWithAck('presence:set', { status: 'offline' }));
    again.disconnect();
    await sleep(300);
    await consoleSocket(t, agent, sockets);
    await sleep(300);
    expect((await history(db, agent.id)).map((row) => `${row.status}:${row.cause}`)).toEqual([
      'online:connect',
      'offline:disconnect',
      'online:connect',
      'offline:chosen',
    ]);
  });
});
