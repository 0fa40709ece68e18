import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { declaredEvents } from '../../app/socket/handle.ts';
import type { Permission } from '../../app/shared/permissions.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { actionsWorld, ok, type TestAgent } from '../socket/actions/harness.ts';

// The permission matrix for the chat actions (issue 14): each action allowed with its permission
// over the chat's department, denied with it over another department, and denied without it.

let t: TestParley;
let db: Db;
let cards: number;
let loans: number;
const world = actionsWorld(
  () => t,
  () => db,
);

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' });
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
});
afterEach(() => world.disconnectAll());

type Grant = { permission: Permission; departments?: number[] };

interface Case {
  action: string;
  permission: Permission;
  /** Who acts, given the grant under test; the owner is someone else unless `owns`. */
  owns: boolean;
  /** Extra grants the actor needs besides the one under test (the owner accepts). */
  base: Grant[];
  run(
    actor: TestAgent,
    chatId: number,
    receiver: TestAgent,
  ): Promise<{ ok: boolean; error?: { id: string } }>;
  /** What a grant over another department answers. */
  otherDepartment: string;
}

const cases: Case[] = [
  {
    action: 'chat:transfer',
    permission: 'chats.transfer',
    owns: true,
    base: [{ permission: 'chats.accept' }],
    run: (actor, chatId, receiver) =>
      actor.socket.emitWithAck('chat:transfer', { chatId, to: { agentId: receiver.row.id } }),
    otherDepartment: 'forbidden',
  },
  {
    action: 'chat:join',
    permission: 'chats.join',
    owns: false,
    base: [],
    run: (actor, chatId) => actor.socket.emitWithAck('chat:join', { chatId }),
    otherDepartment: 'chat_not_found',
  },
  {
    action: 'chat:monitor',
    permission: 'chats.monitor',
    owns: false,
    base: [],
    run: (actor, chatId) => actor.socket.emitWithAck('chat:monitor', { chatId }),
    otherDepartment: 'chat_not_found',
  },
];

describe.each(cases)('$action needs $permission over the chat', (c) => {
  async function attempt(grants: Grant[]) {
    const receiver = await world.agent([{ permission: 'chats.accept' }]);
    const actor = await world.agent([...c.base, ...grants]);
    const owner = c.owns ? actor : await world.agent([{ permission: 'chats.accept' }]);
    const visitor = await world.visitor();
    const chatId = await world.activeChat(owner, visitor, cards);
    const reply = await c.run(actor, chatId, receiver);
    return { reply, chatId };
  }

  it('allows it with the permission for the chat’s department', async () => {
    const { reply, chatId } = await attempt([{ permission: c.permission, departments: [cards] }]);
    expect(reply).toMatchObject({ ok: true });
    const action = `chat.${c.action.slice(5)}`;
    expect((await world.audit(action, chatId)).map((e) => e.outcome)).toEqual(['success']);
  });

  it('allows it with the permission over every department', async () => {
    expect((await attempt([{ permission: c.permission }])).reply).toMatchObject({ ok: true });
  });

  it('denies it with the permission for another department', async () => {
    const { reply, chatId } = await attempt([{ permission: c.permission, departments: [loans] }]);
    expect(reply).toMatchObject({ ok: false, error: { id: c.otherDepartment } });
    const action = `chat.${c.action.slice(5)}`;
    expect((await world.audit(action, chatId)).map((e) => e.outcome)).toEqual(['denied']);
  });

  it('denies it without the permission', async () => {
    const { reply } = await attempt([]);
    expect(reply).toMatchObject({ ok: false, error: { id: 'forbidden' } });
  });
});

describe('whisper needs a part in the chat', () => {
  it('allows the owner, a joined agent and a monitor; denies others, whatever they hold', async () => {
    const owner = await world.agent([{ permission: 'chats.accept' }]);
    const joiner = await world.agent([{ permission: 'chats.join', departments: [cards] }]);
    const monitor = await world.agent([{ permission: 'chats.monitor', departments: [cards] }]);
    const bystander = await world.agent([
      { permission: 'chats.monitor' },
      { permission: 'chats.join' },
    ]);
    const outsider = await world.agent([{ permission: 'chats.monitor', departments: [loans] }]);
    const visitor = await world.visitor();
    const chatId = await world.activeChat(owner, visitor, cards);
    ok(await joiner.socket.emitWithAck('chat:join', { chatId }));
    ok(await monitor.socket.emitWithAck('chat:monitor', { chatId }));
    for (const agent of [owner, joiner, monitor])
      expect(await world.whisper(agent.socket, chatId, 'note')).toMatchObject({ ok: true });
    for (const agent of [bystander, outsider])
      expect(await world.whisper(agent.socket, chatId, 'note')).toMatchObject({
        ok: false,
        error: { id: 'not_participant' },
      });
  });
});

describe('the declarations', () => {
  it('names the permission of every chat action, so none of them gates nothing', async () => {
    // A connection registers the events (declaredEvents is filled as handlers are attached).
    await world.agent([]);
    const declared = Object.fromEntries(
      [...declaredEvents].filter(([key]) => key.startsWith('/agent ')),
    );
    expect(declared).toMatchObject({
      '/agent chat:transfer': 'chats.transfer',
      '/agent chat:transferTargets': ['chats.transfer', 'chats.accept'],
      '/agent chat:invite': 'chats.accept',
      '/agent chat:join': 'chats.join',
      '/agent chat:leave': 'signedIn',
      '/agent chat:monitor': 'chats.monitor',
      '/agent chat:unmonitor': 'signedIn',
      '/agent message:whisper': ['chats.accept', 'chats.join', 'chats.monitor'],
      '/agent chat:following': 'signedIn',
      '/agent chats:active': ['chats.monitor', 'chats.join'],
    });
  });
});
