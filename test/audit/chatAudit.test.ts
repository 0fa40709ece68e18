import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEventView, AuditSearchResponse } from '../../app/shared/audit.ts';
import type { Ack, ChatView } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  startTestParley,
  visitorToken,
  type TestParley,
} from '../harness/parley.ts';

// The chat actions agents take over their socket are audited with the same context as HTTP ones.

let t: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];
beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

function ok<T>(reply: Ack<T>): T {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}`);
  return reply;
}

async function auditEntries(cookie: string, action: string): Promise<AuditEventView[]> {
  const res = await t.http().get('/api/audit').query({ action }).set('Cookie', cookie).expect(200);
  return (res.body as AuditSearchResponse).entries;
}

describe('auditing chat actions', () => {
  it('records accept and end with actor, address, user agent, department and the change', async () => {
    const [department] = await db('departments').insert({ name: 'Billing' });
    const { agent, password } = await createAgent(db, { role: 'admin' });
    const cookie = await signIn(t, agent.email, password);
    const agentSocket = connectAgent(t.url, cookie, {
      extraHeaders: { cookie, origin: TEST_ORIGIN, 'user-agent': 'ConsoleTest/2.0' },
    });
    sockets.push(agentSocket);
    await connected(agentSocket);
    const visitorSocket = connectVisitor(t.url, await visitorToken(t));
    sockets.push(visitorSocket);
    await connected(visitorSocket);

    const chat = ok(await visitorSocket.emitWithAck('chat:start', { question: 'Hi' })).chat;
    await db('chats').where({ id: chat.id }).update({ department_id: department });
    ok(await agentSocket.emitWithAck('chat:accept', { chatId: chat.id }));
    const again = (await agentSocket.emitWithAck('chat:accept', { chatId: chat.id })) as Ack<{
      chat: ChatView;
    }>;
    expect(again.ok).toBe(false);
    ok(await agentSocket.emitWithAck('chat:end', { chatId: chat.id }));

    const accepts = await auditEntries(cookie, 'chat.accept');
    expect(accepts).toEqual([
      expect.objectContaining({ outcome: 'failure', details: { reason: 'not_queued' } }),
      expect.objectContaining({
        actor: { kind: 'agent', id: agent.id, label: agent.email },
        action: 'chat.accept',
        outcome: 'success',
        target: { kind: 'chat', id: String(chat.id) },
        departmentId: Number(department),
        ip: expect.stringMatching(/127\.0\.0\.1$/),
        userAgent: 'ConsoleTest/2.0',
        details: { status: ['queued', 'active'] },
      }),
    ]);
    const [ended] = await auditEntries(cookie, 'chat.end');
    expect(ended).toMatchObject({
      outcome: 'success',
      target: { kind: 'chat', id: String(chat.id) },
      userAgent: 'ConsoleTest/2.0',
      details: { status: ['active', 'ended'] },
    });

    // Reading the transcript afterwards is audited too.
    await t
      .http()
      .get(`/api/transcripts/${chat.id}`)
      .set('Cookie', cookie)
      .set('User-Agent', 'ConsoleTest/2.0')
      .expect(200);
    const [viewed] = await auditEntries(cookie, 'transcript.view');
    expect(viewed).toMatchObject({
      actor: { id: agent.id },
      target: { kind: 'chat', id: String(chat.id) },
      departmentId: Number(department),
      ip: expect.stringMatching(/127\.0\.0\.1$/),
      userAgent: 'ConsoleTest/2.0',
      outcome: 'success',
    });
    const verified = await t.http().get('/api/audit/verify').set('Cookie', cookie).expect(200);
    expect(verified.body).toMatchObject({ ok: true });
  });
});
