import { createRole, type RoleGrant } from '../harness/factories.ts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { agentFactory, ok, send, type TestAgent } from '../socket/agentChat.helpers.ts';

// chats.agent_chat (issue 14), allowed and denied, across departments and groups: every agent-chat
// event needs it; a colleague must hold it too; a grant scoped to departments or groups reaches
// only the colleagues (and rooms) it covers; a room is for its department's members only.

let t: TestParley;
let db: Db;
let cards: number;
let loans: number;
let night: number;
const sockets: { disconnect(): unknown }[] = [];
const agent = agentFactory(
  () => t,
  () => db,
  sockets,
);

const role = (name: string, grants: RoleGrant[]) => createRole(db, name, grants);

beforeAll(async () => {
  db = testDb();
  t = await startTestParley();
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
  night = Number((await db('agent_groups').insert({ name: 'Night shift' }))[0]);
  await role('cards_chat', [
    { permission: 'chats.agent_chat', scope: 'departments', ids: [cards] },
  ]);
  await role('night_chat', [{ permission: 'chats.agent_chat', scope: 'groups', ids: [night] }]);
  await role('no_chat', [{ permission: 'chats.accept' }]);
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

const refused = (id: string) => ({ ok: false, error: { id } });
const open = (who: TestAgent, colleague: TestAgent) =>
  who.socket.emitWithAck('agentChat:open', { agentId: colleague.id });
const colleagueIds = async (who: TestAgent) =>
  ok(await who.socket.emitWithAck('agentChat:colleagues', {})).colleagues.map((c) => c.id);

describe('chats.agent_chat', () => {
  it('is required by every agent-chat event: without it each is refused', async () => {
    const [without, colleague] = [await agent({ role: 'no_chat' }), await agent()];
    const conversation = ok(await open(colleague, await agent())).conversation;
    const attempts = [
      without.socket.emitWithAck('agentChat:list', {}),
      without.socket.emitWithAck('agentChat:colleagues', {}),
      open(without, colleague),
      without.socket.emitWithAck('agentChat:sync', {
        conversationId: conversation.id,
        afterSeq: 0,
      }),
      send(without, conversation.id, 'hi'),
      without.socket.emitWithAck('agentChat:read', { conversationId: conversation.id, seq: 0 }),
    ];
    for (const reply of await Promise.all(attempts))
      expect(reply).toMatchObject(refused('forbidden'));
    expect(await db('agent_messages').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('lets an agent message only colleagues who hold it too', async () => {
    const [a, b, noChat] = [await agent(), await agent(), await agent({ role: 'no_chat' })];
    expect(await open(a, b)).toMatchObject({ ok: true });
    expect(await open(a, noChat)).toMatchObject(refused('colleague_not_found'));
    expect(await colleagueIds(a)).toEqual([b.id]);
    // A colleague who loses it can no longer be written to, even in an existing conversation.
    const conversation = ok(await open(a, b)).conversation;
    await db('agents').where({ id: b.id }).update({ role: 'no_chat' });
    expect(await send(a, conversation.id, 'still there?')).toMatchObject(
      refused('colleague_not_found'),
    );
    expect(await open(a, a)).toMatchObject(refused('invalid_input'));
  });

  it('scoped to a department reaches that department’s colleagues and room, not another’s', async () => {
    const desk = await agent({ role: 'cards_chat', departments: [cards, loans] });
    const [inCards, inLoans] = [
      await agent({ departments: [cards] }),
      await agent({ departments: [loans] }),
    ];
    expect(await open(desk, inCards)).toMatchObject({ ok: true });
    expect(await open(desk, inLoans)).toMatchObject(refused('colleague_not_found'));
    expect(await colleagueIds(desk)).toEqual([inCards.id]);
    // A member of both departments, with a grant for Cards only: the Cards room alone.
    const rooms = ok(await desk.socket.emitWithAck('agentChat:list', {})).conversations.filter(
      (c) => c.kind === 'department',
    );
    expect(rooms.map((r) => r.departmentId)).toEqual([cards]);
    const loansRoom = ok(await inLoans.socket.emitWithAck('agentChat:list', {})).conversations[0]!;
    expect(loansRoom).toMatchObject({ kind: 'department', departmentId: loans });
    expect(await send(desk, loansRoom.id, 'hello Loans')).toMatchObject(
      refused('conversation_not_found'),
    );
    // The colleague in Loans (grant "all") may still open a conversation with the desk.
    expect(await open(inLoans, desk)).toMatchObject({ ok: true });
  });

  it('scoped to a group reaches the group’s members only', async () => {
    const [member, outsider] = [await agent({ groups: [night] }), await agent()];
    // Group members are read with the grants (at the handshake, then every minute).
    const lead = await agent({ role: 'night_chat' });
    expect(await open(lead, member)).toMatchObject({ ok: true });
    expect(await open(lead, outsider)).toMatchObject(refused('colleague_not_found'));
    expect(await colleagueIds(lead)).toEqual([member.id]);
  });

  it('gives an admin (every permission, scope all) direct chats but no department room they are not in', async () => {
    const admin = await agent({ role: 'admin' });
    const member = await agent({ departments: [loans] });
    const room = ok(await member.socket.emitWithAck('agentChat:list', {})).conversations[0]!;
    expect(await open(admin, member)).toMatchObject({ ok: true });
    expect(
      await admin.socket.emitWithAck('agentChat:sync', { conversationId: room.id, afterSeq: 0 }),
    ).toMatchObject(refused('conversation_not_found'));
    await db('agent_departments').insert({ agent_id: admin.id, department_id: loans });
    expect(
      await admin.socket.emitWithAck('agentChat:sync', { conversationId: room.id, afterSeq: 0 }),
    ).toMatchObject({ ok: true });
  });
});
