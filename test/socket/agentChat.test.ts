import { newClientId } from '../../app/shared/clientIds.ts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConversationView, AgentMessageView } from '../../app/shared/agentChat.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import {
  connectAgent,
  connected,
  nextEvent,
  startTestParley,
  type TestParley,
} from '../harness/parley.ts';
import { agentFactory, ok, send, sleep, until, type TestAgent } from './agentChat.helpers.ts';

// Agent-to-agent chat (issue 14): the same guarantees as visitor messages — durable before the ack,
// ordered by seq, no duplicates, masked — delivered through rooms to the members only.

let t: TestParley;
let db: Db;
let other: Db;
const sockets: { disconnect(): unknown }[] = [];
const agent = agentFactory(
  () => t,
  () => db,
  sockets,
);

beforeAll(async () => {
  db = testDb();
  other = testDb(); // a second pool: what another process would see
  t = await startTestParley();
});
afterAll(async () => {
  await t.close();
  await db.destroy();
  await other.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

async function direct(a: TestAgent, b: TestAgent): Promise<AgentConversationView> {
  return ok(await a.socket.emitWithAck('agentChat:open', { agentId: b.id })).conversation;
}

describe('direct conversations', () => {
  it('delivers live to both agents, shows the new conversation to the colleague, and audits only its creation', async () => {
    const [a, b] = [await agent(), await agent()];
    const appears = nextEvent<AgentConversationView>(b.socket, 'agentChat:conversation');
    const conversation = await direct(a, b);
    expect(conversation).toMatchObject({ kind: 'direct', agentId: b.id, title: b.name, unread: 0 });
    expect(await appears).toMatchObject({ id: conversation.id, agentId: a.id, title: a.name });
    // Opening again (from either side) finds the same conversation.
    expect((await direct(b, a)).id).toBe(conversation.id);

    const sent = ok(await send(a, conversation.id, 'Can you take the loan call?'));
    expect(sent.message).toMatchObject({ seq: 1, authorAgentId: a.id, authorName: a.name });
    await until(() => a.received.length === 1 && b.received.length === 1);
    expect(b.received[0]).toEqual(sent.message);
    expect(a.received[0]).toEqual(sent.message);

    const listed = ok(await b.socket.emitWithAck('agentChat:list', {})).conversations;
    expect(listed).toEqual([
      expect.objectContaining({ id: conversation.id, unread: 1, lastSeq: 1 }),
    ]);
    ok(await b.socket.emitWithAck('agentChat:read', { conversationId: conversation.id, seq: 1 }));
    const after = ok(await b.socket.emitWithAck('agentChat:list', {})).conversations;
    expect(after[0]!.unread).toBe(0);
    // The sender's own messages are never unread for them.
    expect(ok(await a.socket.emitWithAck('agentChat:list', {})).conversations[0]!.unread).toBe(0);

    const audit = await db('audit_events').where('action', 'like', 'agent_chat.%').select();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'agent_chat.create',
      actor_id: a.id,
      target_kind: 'agent_conversation',
      target_id: String(conversation.id),
      outcome: 'success',
    });
  });

  it('acknowledges only what is committed: a send waits for the conversation lock, then is in the database', async () => {
    const [a, b] = [await agent(), await agent()];
    const conversation = await direct(a, b);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const locked = other.transaction(async (trx) => {
      await trx('agent_conversations').where({ id: conversation.id }).forUpdate().first();
      await held;
    });
    await sleep(100);
    let acked = false;
    const sending = send(a, conversation.id, 'durable?', 'durable-1').then((reply) => {
      acked = true;
      return reply;
    });
    await sleep(400);
    expect(acked).toBe(false); // the write waits for the lock: nothing is acknowledged early
    expect(await other('agent_messages').count({ n: '*' })).toEqual([{ n: 0 }]);
    release();
    await locked;
    const reply = ok(await sending);
    // Read at once through another connection pool: the row was committed before the ack.
    const stored = await other('agent_messages').where({ client_id: 'durable-1' }).first();
    expect(stored).toMatchObject({ seq: reply.message.seq, body: 'durable?' });
    expect(
      await other('agent_conversations').where({ id: conversation.id }).first('last_seq'),
    ).toEqual({ last_seq: 1 });
  });

  it('orders concurrent sends from both agents with contiguous seqs, and both see every message once', async () => {
    const [a, b] = [await agent(), await agent()];
    const conversation = await direct(a, b);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => send(i % 2 ? b : a, conversation.id, `m${i}`)),
    );
    const seqs = replies.map((reply) => ok(reply).message.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await until(() => a.received.length === 40 && b.received.length === 40);
    for (const who of [a, b]) {
      expect(new Set(who.received.map((m) => m.seq)).size).toBe(40);
    }
    const synced = ok(
      await b.socket.emitWithAck('agentChat:sync', {
        conversationId: conversation.id,
        afterSeq: 0,
      }),
    );
    expect(synced.messages.map((m) => m.seq)).toEqual(seqs);
    expect(synced.conversation.lastSeq).toBe(40);
    const tail = ok(
      await a.socket.emitWithAck('agentChat:sync', {
        conversationId: conversation.id,
        afterSeq: 35,
      }),
    );
    expect(tail.messages.map((m) => m.seq)).toEqual([36, 37, 38, 39, 40]);
  });

  it('answers a resend with the stored message: one row, one live delivery, even when resent concurrently', async () => {
    const [a, b] = [await agent(), await agent()];
    const conversation = await direct(a, b);
    const clientId = newClientId();
    const first = ok(await send(a, conversation.id, 'only once', clientId));
    const [again, concurrent] = await Promise.all([
      send(a, conversation.id, 'only once', clientId),
      send(a, conversation.id, 'only once (edited)', clientId),
    ]);
    expect(ok(again).message).toEqual(first.message);
    expect(ok(concurrent).message).toEqual(first.message);
    const racing = newClientId();
    const raced = await Promise.all([1, 2, 3].map(() => send(b, conversation.id, 'race', racing)));
    expect(new Set(raced.map((reply) => ok(reply).message.seq)).size).toBe(1);
    await sleep(200);
    expect(await db('agent_messages').count({ n: '*' })).toEqual([{ n: 2 }]);
    expect(b.received.map((m) => m.clientId)).toEqual([clientId, racing]);
  });

  it('masks a card number before it is stored, acknowledged or delivered', async () => {
    const [a, b] = [await agent(), await agent()];
    const conversation = await direct(a, b);
    const reply = ok(await send(a, conversation.id, 'card 4111 1111 1111 1111 cvv 737 please'));
    expect(reply.message.body).not.toMatch(/4111 1111 1111 1111|737/);
    expect(reply.message.body).toMatch(/•/);
    await until(() => b.received.length === 1);
    expect(b.received[0]!.body).toBe(reply.message.body);
    const stored = await db('agent_messages').first('body');
    expect(stored.body).toBe(reply.message.body);
  });

  it('gives a third agent nothing: no live message, and refuses their sync, send and read', async () => {
    const [a, b, c] = [await agent(), await agent(), await agent()];
    const conversation = await direct(a, b);
    ok(await send(a, conversation.id, 'between us'));
    await until(() => b.received.length === 1);
    await sleep(200);
    expect(c.received).toEqual([]);
    const refused = { ok: false, error: { id: 'conversation_not_found' } };
    expect(
      await c.socket.emitWithAck('agentChat:sync', {
        conversationId: conversation.id,
        afterSeq: 0,
      }),
    ).toMatchObject(refused);
    expect(await send(c, conversation.id, 'let me in')).toMatchObject(refused);
    expect(
      await c.socket.emitWithAck('agentChat:read', { conversationId: conversation.id, seq: 1 }),
    ).toMatchObject(refused);
    expect(ok(await c.socket.emitWithAck('agentChat:list', {})).conversations).toEqual([]);
    expect(await db('agent_messages').count({ n: '*' })).toEqual([{ n: 1 }]);
  });
});

describe('department rooms', () => {
  it('are for the members of the department: they read, write and receive live; others get nothing', async () => {
    const cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
    const loans = Number((await db('departments').insert({ name: 'Loans' }))[0]);
    const [a, b, c] = [
      await agent({ departments: [cards] }),
      await agent({ departments: [cards, loans] }),
      await agent({ departments: [loans] }),
    ];
    const admin = await agent({ role: 'admin' });
    const roomsOf = async (who: TestAgent) =>
      ok(await who.socket.emitWithAck('agentChat:list', {})).conversations.filter(
        (c) => c.kind === 'department',
      );
    const aRooms = await roomsOf(a);
    expect(aRooms).toEqual([expect.objectContaining({ title: 'Cards', departmentId: cards })]);
    const room = aRooms[0]!;
    expect((await roomsOf(b)).map((r) => r.title).sort()).toEqual(['Cards', 'Loans']);
    expect((await roomsOf(c)).map((r) => r.title)).toEqual(['Loans']);
    expect(await roomsOf(admin)).toEqual([]); // not a member: an admin does not read rooms

    const sent = ok(await send(b, room.id, 'Who covers lunch?'));
    await until(() => a.received.length === 1 && b.received.length === 1);
    expect(a.received[0]).toEqual(sent.message);
    await sleep(200);
    expect(c.received).toEqual([]);
    expect(admin.received).toEqual([]);
    for (const outsider of [c, admin]) {
      expect(await send(outsider, room.id, 'hi')).toMatchObject({
        ok: false,
        error: { id: 'conversation_not_found' },
      });
      expect(
        await outsider.socket.emitWithAck('agentChat:sync', {
          conversationId: room.id,
          afterSeq: 0,
        }),
      ).toMatchObject({ ok: false, error: { id: 'conversation_not_found' } });
    }

    // Membership is read at each event: removed from Cards, b is refused at once.
    await db('agent_departments').where({ agent_id: b.id, department_id: cards }).delete();
    expect(
      await b.socket.emitWithAck('agentChat:sync', { conversationId: room.id, afterSeq: 0 }),
    ).toMatchObject({ ok: false, error: { id: 'conversation_not_found' } });
    // Listing again leaves the room's socket room too: no more live messages.
    expect((await roomsOf(b)).map((r) => r.title)).toEqual(['Loans']);
    ok(await send(a, room.id, 'after b left'));
    await until(() => a.received.length === 2);
    await sleep(200);
    expect(b.received).toHaveLength(1);

    // One room per department, created once and audited once.
    expect(await db('agent_conversations').where({ kind: 'department' }).count({ n: '*' })).toEqual(
      [{ n: 2 }],
    );
    expect(
      await db('audit_events').where({ action: 'agent_chat.create' }).count({ n: '*' }),
    ).toEqual([{ n: 2 }]);
  });

  it('follows a change of departments made by an admin: the console is reconnected into its new rooms only', async () => {
    const cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
    const [a, b] = [await agent({ departments: [cards] }), await agent({ departments: [cards] })];
    const admin = await agent({ role: 'admin' });
    const room = ok(await a.socket.emitWithAck('agentChat:list', {})).conversations[0]!;
    const cutOff = new Promise<void>((resolve) => b.socket.once('disconnect', () => resolve()));
    await t
      .http()
      .patch(`/api/agents/${b.id}`)
      .set('Cookie', admin.cookie)
      .set('Origin', t.config.publicOrigin)
      .send({ departments: [] })
      .expect(200);
    await cutOff; // privileges changed: the server ends b's sockets, the console reconnects
    const again = { socket: connectAgent(t.url, b.cookie), received: [] as AgentMessageView[] };
    sockets.push(again.socket);
    again.socket.on('agentChat:message', (message) => again.received.push(message));
    await connected(again.socket);
    expect(
      await again.socket.emitWithAck('agentChat:sync', { conversationId: room.id, afterSeq: 0 }),
    ).toMatchObject({ ok: false, error: { id: 'conversation_not_found' } });
    ok(await send(a, room.id, 'b is gone'));
    await until(() => a.received.length === 1);
    await sleep(200);
    expect(again.received).toEqual([]);
    expect(b.received).toEqual([]);
  });
});
