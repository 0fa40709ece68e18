import { describe, expect, it } from 'vitest';
import type { ChatView, MessageView, QueueEntry } from '../../app/shared/protocol.ts';
import { nextEvent } from '../harness/parley.ts';
import { actionsSuite, ok, quietPeriod, type TestAgent } from './actions/harness.ts';

// Transfer (issue 14): to an online agent who may accept the chat, or back to a department's
// queue; the note reaches agents only, the visitor sees who took over.

const { suite, world } = actionsSuite();

const NOTE = 'Verified by phone; wants the Gold card blocked, not cancelled';
const desk = (departments?: number[]) => [
  { permission: 'chats.accept' as const, departments },
  { permission: 'chats.transfer' as const, departments },
];
const carried = (events: { payload: unknown }[], text: string) =>
  events.filter((e) => JSON.stringify(e.payload ?? null).includes(text));

describe('transfer to an agent', () => {
  it('hands the chat over with the note for agents, and tells the visitor who took over', async () => {
    const a = await world.agent(desk(), { name: 'Alice Owner' });
    const b = await world.agent(desk(), { name: 'Bob Receiver' });
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);
    ok(await world.send(visitor.socket, chatId, 'My card is gone'));

    const bGetsNote = world.message(b.socket, (m) => m.body === NOTE);
    const bGetsChat = nextEvent<ChatView>(b.socket, 'chat:updated', (c) => c.id === chatId);
    const visitorSees = world.message(visitor.socket, (m) => m.author === 'system');
    const visitorUpdated = nextEvent<ChatView>(
      visitor.socket,
      'chat:updated',
      (c) => c.id === chatId,
    );
    ok(
      await a.socket.emitWithAck('chat:transfer', {
        chatId,
        to: { agentId: b.row.id },
        note: NOTE,
      }),
    );

    expect(await bGetsNote).toMatchObject({
      internal: true,
      author: 'agent',
      authorName: 'Alice Owner',
    });
    expect((await bGetsChat).agentName).toBe('Bob Receiver');
    expect((await visitorSees).body).toBe('Bob Receiver has taken over the chat.');
    expect((await visitorUpdated).agentName).toBe('Bob Receiver');

    // The receiving agent reads the whole conversation, note included.
    const synced = ok(await b.socket.emitWithAck('chat:sync', { chatId, afterSeq: 0 }));
    expect(synced.messages.map((m) => m.body)).toEqual([
      'My card is gone',
      NOTE,
      'Bob Receiver has taken over the chat.',
    ]);
    // The visitor never: not live, not in a sync.
    const visitorSync = ok(await visitor.socket.emitWithAck('chat:sync', { chatId, afterSeq: 0 }));
    expect(visitorSync.messages.map((m) => m.body)).not.toContain(NOTE);
    expect(carried(visitor.events, 'Gold card')).toEqual([]);

    // B writes now; A no longer may, nor hears the chat.
    const visitorGetsB = world.message(visitor.socket, (m) => m.body === 'Bob here');
    ok(await world.send(b.socket, chatId, 'Bob here'));
    await visitorGetsB;
    expect(await world.send(a.socket, chatId, 'still me?')).toMatchObject({ ok: false });
    const seenByA = a.events.length;
    ok(await world.send(visitor.socket, chatId, 'thanks Bob'));
    await quietPeriod();
    expect(a.events.slice(seenByA).filter((e) => e.event === 'message:new')).toEqual([]);

    const entries = await world.audit('chat.transfer', chatId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor_id: a.row.id,
      outcome: 'success',
      department_id: suite.cards,
    });
    expect(entries[0]!.details).toMatchObject({ to: { agentId: b.row.id } });
    expect(JSON.stringify(entries[0]!.details)).not.toContain('Gold card');
  });

  async function refused(
    a: TestAgent,
    to: { agentId: number } | { departmentId: number },
    chatId: number,
  ) {
    const reply = await a.socket.emitWithAck('chat:transfer', { chatId, to, note: 'x' });
    if (reply.ok) throw new Error('expected a refusal');
    return reply.error;
  }

  it('refuses a target who is offline, or who may not accept chats of the department', async () => {
    const a = await world.agent(desk());
    const offline = await world.agent(desk(), { online: false, name: 'Olga Offline' });
    const loansOnly = await world.agent(desk([suite.loans]), { name: 'Len Loans' });
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);

    const off = await refused(a, { agentId: offline.row.id }, chatId);
    expect(off).toMatchObject({ id: 'transfer_target_offline' });
    expect(off.message).toContain('Olga Offline is not online');
    // "away" is not online either.
    await suite.db('agent_presence').where({ agent_id: offline.row.id }).update({ status: 'away' });
    expect(await refused(a, { agentId: offline.row.id }, chatId)).toMatchObject({
      id: 'transfer_target_offline',
    });
    expect(await refused(a, { agentId: loansOnly.row.id }, chatId)).toMatchObject({
      id: 'transfer_target_not_allowed',
    });
    expect(await refused(a, { agentId: a.row.id }, chatId)).toMatchObject({ id: 'own_chat' });
    expect(await refused(a, { agentId: 999_999 }, chatId)).toMatchObject({ id: 'agent_not_found' });

    const chat = await suite.db('chats').where({ id: chatId }).first('agent_id', 'status');
    expect(chat).toEqual({ agent_id: a.row.id, status: 'active' });
    const outcomes = (await world.audit('chat.transfer', chatId)).map((e) => [
      e.outcome,
      e.details.reason,
    ]);
    expect(outcomes).toEqual([
      ['failure', 'transfer_target_offline'],
      ['failure', 'transfer_target_offline'],
      ['failure', 'transfer_target_not_allowed'],
      ['failure', 'own_chat'],
      ['denied', 'agent_not_found'],
    ]);
  });

  it('refuses a chat that is not theirs, and one outside their transfer grant', async () => {
    const a = await world.agent(desk());
    const other = await world.agent(desk());
    const cardsDesk = await world.agent([
      { permission: 'chats.accept' },
      { permission: 'chats.transfer', departments: [suite.loans] },
    ]);
    const without = await world.agent([{ permission: 'chats.accept' }]);
    const b = await world.agent(desk());
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);
    const again = await world.visitor();
    const ownChat = await world.activeChat(cardsDesk, again, suite.cards);

    expect(await refused(other, { agentId: b.row.id }, chatId)).toMatchObject({
      id: 'chat_not_found',
    });
    // Holds chats.transfer for Loans only; this chat of theirs is in Cards.
    expect(await refused(cardsDesk, { agentId: b.row.id }, ownChat)).toMatchObject({
      id: 'forbidden',
    });
    expect(await refused(without, { agentId: b.row.id }, chatId)).toMatchObject({
      id: 'forbidden',
    });
    expect((await world.audit('chat.transfer', ownChat))[0]).toMatchObject({ outcome: 'denied' });
    expect(await suite.db('chats').whereIn('id', [chatId, ownChat]).pluck('agent_id')).toEqual([
      a.row.id,
      cardsDesk.row.id,
    ]);
  });
});

describe('transfer to a department', () => {
  it('puts the chat back in the queue of that department, note for the agent who accepts', async () => {
    const a = await world.agent(desk());
    const e = await world.agent(desk([suite.loans]), {
      departments: [suite.loans],
      name: 'Eve Loans',
    });
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);

    const queued = nextEvent<QueueEntry[]>(e.socket, 'queue:updated', (q) =>
      q.some((entry) => entry.chatId === chatId),
    );
    const visitorSees = world.message(visitor.socket, (m) => m.author === 'system');
    ok(
      await a.socket.emitWithAck('chat:transfer', {
        chatId,
        to: { departmentId: suite.loans },
        note: NOTE,
      }),
    );
    expect((await queued).find((entry) => entry.chatId === chatId)?.departmentId).toBe(suite.loans);
    expect((await visitorSees).body).toContain('transferred to Loans');
    expect(
      await suite.db('chats').where({ id: chatId }).first('status', 'agent_id', 'department_id'),
    ).toEqual({ status: 'queued', agent_id: null, department_id: suite.loans });
    // Queued again: the former owner may no longer write.
    expect(await world.send(a.socket, chatId, 'hello?')).toMatchObject({ ok: false });

    ok(await e.socket.emitWithAck('chat:accept', { chatId }));
    const synced = ok(await e.socket.emitWithAck('chat:sync', { chatId, afterSeq: 0 }));
    expect(synced.messages.find((m: MessageView) => m.body === NOTE)).toMatchObject({
      internal: true,
    });
    expect(carried(visitor.events, 'Gold card')).toEqual([]);
    const entry = (await world.audit('chat.transfer', chatId))[0]!;
    expect(entry.details).toMatchObject({ to: { departmentId: suite.loans } });
  });

  it('refuses with a message naming the department when nobody of it is online', async () => {
    const a = await world.agent(desk());
    await world.agent(desk([suite.loans]), { departments: [suite.loans], online: false });
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);
    const reply = await a.socket.emitWithAck('chat:transfer', {
      chatId,
      to: { departmentId: suite.loans },
    });
    expect(reply).toMatchObject({ ok: false, error: { id: 'department_nobody_online' } });
    expect(reply.ok ? '' : reply.error.message).toMatch(/nobody is online in Loans/i);
    expect(
      await a.socket.emitWithAck('chat:transfer', { chatId, to: { departmentId: 999_999 } }),
    ).toMatchObject({ ok: false, error: { id: 'department_not_found' } });
    expect(await suite.db('chats').where({ id: chatId }).first('status')).toEqual({
      status: 'active',
    });
    expect((await world.audit('chat.transfer', chatId)).map((e) => e.outcome)).toEqual([
      'failure',
      'denied',
    ]);
  });
});
