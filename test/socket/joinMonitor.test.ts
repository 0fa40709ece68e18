import { describe, expect, it } from 'vitest';
import { nextEvent } from '../harness/parley.ts';
import { actionsSuite, ok, quietPeriod } from './actions/harness.ts';

// Join (chats.join): a second agent writes with the owner and the visitor sees them. Monitor
// (chats.monitor): a live, silent view; the visitor is not told.

const { suite, world } = actionsSuite();

const owner = () => world.agent([{ permission: 'chats.accept' }], { name: 'Olive Owner' });

describe('join', () => {
  it('lets a second agent write with the owner, seen by the visitor, until they leave', async () => {
    const a = await owner();
    const j = await world.agent([{ permission: 'chats.join' }], { name: 'Jo Joiner' });
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);
    ok(await world.send(visitor.socket, chatId, 'first'));

    const visitorSeesJoin = world.message(visitor.socket, (m) => m.author === 'system');
    const joined = ok(await j.socket.emitWithAck('chat:join', { chatId }));
    expect(joined.role).toBe('joined');
    expect(joined.messages.map((m) => m.body)).toContain('first');
    expect((await visitorSeesJoin).body).toBe('Jo Joiner has joined the chat.');
    // The visitor sees the joined agent typing, as they see the owner.
    const visitorSeesTyping = nextEvent(visitor.socket, 'typing');
    ok(await j.socket.emitWithAck('typing', { chatId, typing: true }));
    expect(await visitorSeesTyping).toEqual({ chatId, author: 'agent', typing: true });

    // Both agents write; the visitor gets both; each agent gets the other's and the visitor's.
    const visitorGetsJo = world.message(visitor.socket, (m) => m.body === 'Jo here');
    const ownerGetsJo = world.message(a.socket, (m) => m.body === 'Jo here');
    ok(await world.send(j.socket, chatId, 'Jo here'));
    expect((await visitorGetsJo).authorName).toBe('Jo Joiner');
    await ownerGetsJo;
    const visitorGetsOlive = world.message(visitor.socket, (m) => m.body === 'Olive here');
    const joGetsOlive = world.message(j.socket, (m) => m.body === 'Olive here');
    ok(await world.send(a.socket, chatId, 'Olive here'));
    await Promise.all([visitorGetsOlive, joGetsOlive]);
    const joGetsVisitor = world.message(j.socket, (m) => m.body === 'thanks both');
    const oliveGetsVisitor = world.message(a.socket, (m) => m.body === 'thanks both');
    ok(await world.send(visitor.socket, chatId, 'thanks both'));
    await Promise.all([joGetsVisitor, oliveGetsVisitor]);
    expect(await j.socket.emitWithAck('chat:join', { chatId })).toMatchObject({
      ok: false,
      error: { id: 'already_participant' },
    });

    const visitorSeesLeave = world.message(visitor.socket, (m) => m.body.includes('has left'));
    ok(await j.socket.emitWithAck('chat:leave', { chatId }));
    expect((await visitorSeesLeave).body).toBe('Jo Joiner has left the chat.');
    expect(await world.send(j.socket, chatId, 'one more')).toMatchObject({
      ok: false,
      error: { id: 'chat_not_found' },
    });
    const before = j.events.length;
    ok(await world.send(visitor.socket, chatId, 'after Jo left'));
    await quietPeriod();
    expect(j.events.slice(before)).toEqual([]);
    expect(await j.socket.emitWithAck('chat:leave', { chatId })).toMatchObject({
      ok: false,
      error: { id: 'not_participant' },
    });

    expect((await world.audit('chat.join', chatId)).map((e) => [e.actor_id, e.outcome])).toEqual([
      [j.row.id, 'success'],
      [j.row.id, 'failure'],
    ]);
    expect((await world.audit('chat.leave', chatId)).map((e) => e.outcome)).toEqual([
      'success',
      'failure',
    ]);
  });

  it('refuses without chats.join, outside its departments, one’s own chat, and a queued chat', async () => {
    const a = await world.agent([{ permission: 'chats.accept' }, { permission: 'chats.join' }]);
    const loansJoiner = await world.agent([
      { permission: 'chats.join', departments: [suite.loans] },
    ]);
    const monitorOnly = await world.agent([{ permission: 'chats.monitor' }]);
    const anyJoiner = await world.agent([{ permission: 'chats.join' }]);
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);
    const waiting = await world.visitor();
    const queued = ok(await waiting.socket.emitWithAck('chat:start', {})).chat.id;

    const refusal = async (socket: typeof a.socket, id: number) => {
      const reply = await socket.emitWithAck('chat:join', { chatId: id });
      return reply.ok ? 'ok' : reply.error.id;
    };
    expect(await refusal(loansJoiner.socket, chatId)).toBe('chat_not_found');
    expect(await refusal(monitorOnly.socket, chatId)).toBe('forbidden');
    expect(await refusal(a.socket, chatId)).toBe('own_chat');
    expect(await refusal(anyJoiner.socket, queued)).toBe('chat_not_active');
    expect(await world.send(loansJoiner.socket, chatId, 'sneaking in')).toMatchObject({
      ok: false,
    });
    expect(visitor.events.filter((e) => e.event === 'message:new')).toEqual([]);
    expect((await world.audit('chat.join', chatId)).map((e) => e.outcome)).toEqual([
      'denied',
      'failure',
    ]);
  });
});

describe('monitor', () => {
  it('receives the chat live and silently, and stops when asked', async () => {
    const a = await owner();
    const m = await world.agent([{ permission: 'chats.monitor', departments: [suite.cards] }]);
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);
    ok(await world.send(visitor.socket, chatId, 'before the monitor'));

    const visitorEventsBefore = visitor.events.length;
    const watching = ok(await m.socket.emitWithAck('chat:monitor', { chatId }));
    expect(watching.role).toBe('monitor');
    expect(watching.messages.map((msg) => msg.body)).toEqual(['before the monitor']);

    const fromVisitor = world.message(m.socket, (msg) => msg.body === 'live from visitor');
    ok(await world.send(visitor.socket, chatId, 'live from visitor'));
    await fromVisitor;
    const fromOwner = world.message(m.socket, (msg) => msg.body === 'live from owner');
    ok(await world.send(a.socket, chatId, 'live from owner'));
    await fromOwner;
    ok(await m.socket.emitWithAck('typing', { chatId, typing: true }));
    // Silent: the visitor got the owner's message and nothing about the monitor, not even typing.
    await quietPeriod();
    const told = () =>
      visitor.events
        .slice(visitorEventsBefore)
        .map((e) => [e.event, (e.payload as { body?: string }).body]);
    expect(told()).toEqual([
      ['message:new', 'live from visitor'],
      ['message:new', 'live from owner'],
    ]);
    // A monitor reads; it does not write to the visitor.
    expect(await world.send(m.socket, chatId, 'hello from the monitor')).toMatchObject({
      ok: false,
    });

    // A new console of the monitor follows the chat too (it joins the chat room on connect).
    const second = await world.connectAs(m.row, (await world.passwordOf(m)) ?? '');
    const toSecond = world.message(second.socket, (msg) => msg.body === 'to both consoles');
    ok(await world.send(visitor.socket, chatId, 'to both consoles'));
    await toSecond;
    const following = ok(await second.socket.emitWithAck('chat:following', {}));
    expect(following.chats.map((f) => [f.chat.id, f.role])).toEqual([[chatId, 'monitor']]);

    ok(await m.socket.emitWithAck('chat:unmonitor', { chatId }));
    const before = m.events.length;
    ok(await world.send(visitor.socket, chatId, 'after the monitor'));
    await quietPeriod();
    expect(m.events.slice(before).filter((e) => e.event === 'message:new')).toEqual([]);
    // Only the messages themselves, never a word about the monitor.
    expect(told().map(([, body]) => body)).toEqual([
      'live from visitor',
      'live from owner',
      'to both consoles',
      'after the monitor',
    ]);
    expect((await world.audit('chat.monitor', chatId)).map((e) => e.outcome)).toEqual(['success']);
    expect((await world.audit('chat.unmonitor', chatId)).map((e) => e.outcome)).toEqual([
      'success',
    ]);
  });

  it('refuses without chats.monitor and outside its departments', async () => {
    const a = await owner();
    const loansMonitor = await world.agent([
      { permission: 'chats.monitor', departments: [suite.loans] },
    ]);
    const joinOnly = await world.agent([{ permission: 'chats.join' }]);
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);
    expect(await loansMonitor.socket.emitWithAck('chat:monitor', { chatId })).toMatchObject({
      ok: false,
      error: { id: 'chat_not_found' },
    });
    expect(await joinOnly.socket.emitWithAck('chat:monitor', { chatId })).toMatchObject({
      ok: false,
      error: { id: 'forbidden' },
    });
    const before = loansMonitor.events.length;
    ok(await world.send(visitor.socket, chatId, 'private'));
    await quietPeriod();
    expect(loansMonitor.events.slice(before)).toEqual([]);
    expect((await world.audit('chat.monitor', chatId)).map((e) => e.outcome)).toEqual(['denied']);
  });
});

describe('invite to join', () => {
  it('offers the chat to an online colleague who may join it, who then joins', async () => {
    const a = await owner();
    const j = await world.agent([{ permission: 'chats.join', departments: [suite.cards] }], {
      name: 'Ivy Invited',
    });
    const offline = await world.agent([{ permission: 'chats.join' }], { online: false });
    const loansOnly = await world.agent([{ permission: 'chats.join', departments: [suite.loans] }]);
    const stranger = await world.agent([{ permission: 'chats.accept' }]);
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);

    const targets = ok(await a.socket.emitWithAck('chat:transferTargets', { chatId }));
    expect(targets.joiners.map((agent) => agent.id)).toContain(j.row.id);
    expect(targets.joiners.map((agent) => agent.id)).not.toContain(loansOnly.row.id);

    const invited = new Promise<{ chat: { id: number }; from: string }>((resolve) =>
      j.socket.once('chat:invited' as never, resolve as never),
    );
    ok(await a.socket.emitWithAck('chat:invite', { chatId, agentId: j.row.id }));
    expect(await invited).toMatchObject({ chat: { id: chatId }, from: 'Olive Owner' });
    ok(await j.socket.emitWithAck('chat:join', { chatId }));

    const refusal = async (socket: typeof a.socket, agentId: number) => {
      const reply = await socket.emitWithAck('chat:invite', { chatId, agentId });
      return reply.ok ? 'ok' : reply.error.id;
    };
    expect(await refusal(a.socket, offline.row.id)).toBe('transfer_target_offline');
    expect(await refusal(a.socket, loansOnly.row.id)).toBe('invitee_not_allowed');
    expect(await refusal(stranger.socket, j.row.id)).toBe('chat_not_found');
    expect(loansOnly.events.filter((e) => e.event === 'chat:invited')).toEqual([]);
    // The visitor hears of the join, never of the invitations.
    expect(visitor.events.filter((e) => JSON.stringify(e.payload).includes('invite'))).toEqual([]);
    expect((await world.audit('chat.invite', chatId)).map((e) => e.outcome)).toEqual([
      'success',
      'failure',
      'failure',
    ]);
  });
});
