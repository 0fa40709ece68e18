import { newClientId } from '../../app/shared/clientIds.ts';
import { describe, expect, it } from 'vitest';
import { declaredRoutes } from '../../app/http/route.ts';
import type { MessageView } from '../../app/shared/protocol.ts';
import { actionsSuite, ok, quietPeriod } from './actions/harness.ts';

// Whisper (issue 14): a line only agents see. Stored marked internal, delivered to the agents in
// the chat, shown in their transcripts, and never sent to the visitor in any event, sync or reply.

const { suite, world } = actionsSuite();

const SECRET = 'psst: offer the fee waiver';
const carrying = (events: { event: string; payload: unknown }[], text: string) =>
  events.filter((e) => JSON.stringify(e.payload ?? null).includes(text));

describe('whisper', () => {
  it('reaches the agents in the chat and never the visitor', async () => {
    const a = await world.agent([{ permission: 'chats.accept' }], { name: 'Olive Owner' });
    const j = await world.agent([{ permission: 'chats.join' }]);
    const m = await world.agent([{ permission: 'chats.monitor' }], { name: 'Sam Supervisor' });
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);
    ok(await j.socket.emitWithAck('chat:join', { chatId }));
    ok(await m.socket.emitWithAck('chat:monitor', { chatId }));

    const ownerHears = world.message(a.socket, (msg) => msg.body === SECRET);
    const joinerHears = world.message(j.socket, (msg) => msg.body === SECRET);
    const clientId = newClientId();
    const sent = ok(await world.whisper(m.socket, chatId, SECRET, clientId));
    expect(sent.message).toMatchObject({
      internal: true,
      author: 'agent',
      authorName: 'Sam Supervisor',
    });
    expect(await ownerHears).toMatchObject({ internal: true, seq: sent.message.seq });
    await joinerHears;
    // The owner whispers back.
    const supervisorHears = world.message(m.socket, (msg) => msg.body === 'will do');
    ok(await world.whisper(a.socket, chatId, 'will do'));
    await supervisorHears;

    // A resend is the same message, once.
    expect(ok(await world.whisper(m.socket, chatId, SECRET, clientId)).message.seq).toBe(
      sent.message.seq,
    );
    expect(
      await suite.db('messages').where({ chat_id: chatId, internal: true }).count({ n: '*' }),
    ).toEqual([{ n: 2 }]);

    // The visitor: a visible message still arrives, the whispers never, in no event at all.
    const visible = world.message(visitor.socket, (msg) => msg.body === 'Here is the offer');
    ok(await world.send(a.socket, chatId, 'Here is the offer'));
    await visible;
    await quietPeriod();
    expect(carrying(visitor.events, 'fee waiver')).toEqual([]);
    expect(carrying(visitor.events, 'will do')).toEqual([]);
    expect(visitor.events.some((e) => (e.payload as { internal?: boolean }).internal)).toBe(false);
    const synced = ok(await visitor.socket.emitWithAck('chat:sync', { chatId, afterSeq: 0 }));
    expect(synced.messages.map((msg) => msg.body)).not.toContain(SECRET);
    expect(synced.messages.every((msg) => !msg.internal)).toBe(true);
    expect(JSON.stringify(await visitor.socket.emitWithAck('chat:list', {}))).not.toContain(
      'fee waiver',
    );
    // A visitor who sends with the whisper's client id gets a refusal, not the whisper.
    const collision = await visitor.socket.emitWithAck('message:send', {
      chatId,
      clientId,
      body: 'guessing',
    });
    expect(collision.ok).toBe(false);
    expect(JSON.stringify(collision)).not.toContain('fee waiver');

    // Agents' transcript shows the whispers, marked.
    ok(await a.socket.emitWithAck('chat:end', { chatId }));
    const admin = await world.agent([{ permission: 'transcripts.view_all' }]);
    const transcript = await suite.t
      .http()
      .get(`/api/transcripts/${chatId}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    const messages = (transcript.body as { messages: MessageView[] }).messages;
    expect(messages.filter((msg) => msg.internal).map((msg) => msg.body)).toEqual([
      SECRET,
      'will do',
    ]);
    expect(carrying(visitor.events, 'fee waiver')).toEqual([]);

    const entries = await world.audit('chat.whisper', chatId);
    expect(entries.map((e) => [e.actor_id, e.outcome])).toEqual([
      [m.row.id, 'success'],
      [a.row.id, 'success'],
    ]);
    expect(JSON.stringify(entries)).not.toContain('fee waiver');
  });

  it('refuses someone not in the chat, a chat that ended, and agents without a permission', async () => {
    const a = await world.agent([{ permission: 'chats.accept' }]);
    const m = await world.agent([{ permission: 'chats.monitor' }]);
    const nobody = await world.agent([{ permission: 'transcripts.view_all' }]);
    const visitor = await world.visitor();
    const chatId = await world.activeChat(a, visitor, suite.cards);

    // May monitor, but does not: not a participant.
    expect(await world.whisper(m.socket, chatId, SECRET)).toMatchObject({
      ok: false,
      error: { id: 'not_participant' },
    });
    expect(await world.whisper(nobody.socket, chatId, SECRET)).toMatchObject({
      ok: false,
      error: { id: 'forbidden' },
    });
    ok(await m.socket.emitWithAck('chat:monitor', { chatId }));
    ok(await visitor.socket.emitWithAck('chat:end', { chatId }));
    expect(await world.whisper(m.socket, chatId, SECRET)).toMatchObject({
      ok: false,
      error: { id: 'chat_ended' },
    });
    expect(
      await suite.db('messages').where({ chat_id: chatId, internal: true }).count({ n: '*' }),
    ).toEqual([{ n: 0 }]);
    expect((await world.audit('chat.whisper', chatId)).map((e) => e.outcome)).toEqual([
      'denied',
      'failure',
    ]);
    expect(carrying(visitor.events, 'fee waiver')).toEqual([]);
  });

  it('leaves the visitor no HTTP route that reads messages', () => {
    // What a visitor can fetch over HTTP: a token, the departments offered, and files of their own
    // chat (a whisper has no file). A new visitor route that returns messages must filter internal
    // ones: review it, then add it here.
    const visitorRoutes = [...declaredRoutes]
      .filter(([, requirement]) => requirement === 'visitor' || requirement === 'public')
      .map(([key]) => key)
      .filter((key) => key.includes('/visitor'));
    expect(visitorRoutes.sort()).toEqual([
      'GET /api/visitor/departments', // the departments offered: names, no messages
      'GET /api/visitor/files/:fileId',
      'OPTIONS /api/visitor/chats/:chatId/files',
      'OPTIONS /api/visitor/departments',
      'OPTIONS /api/visitor/files/:fileId',
      'OPTIONS /api/visitor/token',
      'POST /api/visitor/chats/:chatId/files',
      'POST /api/visitor/token',
    ]);
  });
});
