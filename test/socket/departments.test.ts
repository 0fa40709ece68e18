// A visitor's chat carries its department from creation (issue 14): chat:start takes an offered
// department, picks the only one, or leaves none; the department's card masking applies at once.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardMasking } from '../../app/domain/masking/policy.ts';
import { DEFAULT_MASKING } from '../../app/shared/cardNumbers.ts';
import type { Ack, ChatView, StartChatInput } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
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

let t: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  t = await startTestParley();
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

async function department(name: string, offer: { offered: boolean; visitorName?: string }) {
  const [id] = await db('departments').insert({
    name,
    offered: offer.offered,
    visitor_name: offer.visitorName ?? null,
  });
  return Number(id);
}

async function start(input: StartChatInput): Promise<Ack<{ chat: ChatView }>> {
  const socket = connectVisitor(t.url, await visitorToken(t));
  sockets.push(socket);
  await connected(socket);
  return socket.emitWithAck('chat:start', input);
}

async function storedDepartment(chatId: number): Promise<number | null> {
  const row: { department_id: number | null } = await db('chats')
    .where({ id: chatId })
    .first('department_id');
  return row.department_id;
}

describe('chat:start with departments offered to visitors', () => {
  it('stores the offered department the visitor picked, named for both sides', async () => {
    const cards = await department('Cards', { offered: true });
    const loans = await department('Retail lending', { offered: true, visitorName: 'Loans' });
    await department('Fraud', { offered: false });
    const { agent, password } = await createAgent(db, { role: 'admin' });
    const agentSocket = connectAgent(t.url, await signIn(t, agent.email, password));
    sockets.push(agentSocket);
    await connected(agentSocket);

    const started = await start({ question: 'About my mortgage', departmentId: loans });
    if (!started.ok) throw new Error(started.error.message);
    expect(await storedDepartment(started.chat.id)).toBe(loans);
    expect(started.chat.departmentName).toBe('Loans'); // the name the visitor chose it by
    const queue = await agentSocket.emitWithAck('queue:list', {});
    if (!queue.ok) throw new Error(queue.error.message);
    // Agents see the department's own name in the queue.
    expect(queue.queue).toMatchObject([
      { chatId: started.chat.id, departmentId: loans, departmentName: 'Retail lending' },
    ]);

    const other = await start({ departmentId: cards });
    if (!other.ok) throw new Error(other.error.message);
    expect(await storedDepartment(other.chat.id)).toBe(cards);
  });

  it('refuses a department that is not offered, or does not exist, and a missing choice among several', async () => {
    await department('Cards', { offered: true });
    await department('Loans', { offered: true });
    const fraud = await department('Fraud', { offered: false });
    for (const departmentId of [fraud, fraud + 1000]) {
      const refused = await start({ question: 'Hello', departmentId });
      expect(refused).toMatchObject({ ok: false, error: { id: 'invalid_input' } });
      if (!refused.ok) expect(refused.error.message).toMatch(/choose one from the list/);
    }
    const unchosen = await start({ question: 'Hello' });
    expect(unchosen).toMatchObject({ ok: false, error: { id: 'invalid_input' } });
    if (!unchosen.ok) expect(unchosen.error.message).toMatch(/choose a department/);
    expect(await db('chats').count({ n: '*' }).first()).toEqual({ n: 0 });
  });

  it('gives every chat the one offered department when the visitor chose none', async () => {
    await department('Cards', { offered: false });
    const loans = await department('Loans', { offered: true });
    const started = await start({ question: 'Hello' });
    if (!started.ok) throw new Error(started.error.message);
    expect(await storedDepartment(started.chat.id)).toBe(loans);
    expect(started.chat.departmentName).toBe('Loans');
  });

  it('leaves the chat without a department when none is offered, and refuses a pick then', async () => {
    const cards = await department('Cards', { offered: false });
    const started = await start({ question: 'Hello' });
    if (!started.ok) throw new Error(started.error.message);
    expect(await storedDepartment(started.chat.id)).toBeNull();
    expect(started.chat.departmentName).toBeNull();
    expect(await start({ departmentId: cards })).toMatchObject({
      ok: false,
      error: { id: 'invalid_input' },
    });
  });

  it("masks the pre-chat question with the picked department's card-masking setting", async () => {
    const cards = await department('Cards', { offered: true });
    const loans = await department('Loans', { offered: true });
    const { agent } = await createAgent(db, { role: 'admin' });
    const masking = cardMasking(t.parley.services.db);
    const actor = { agentId: agent.id, label: agent.email };
    await masking.set(loans, { mask: true, keep: 'last4' }, actor, t.parley.services.audit);
    try {
      const question = 'My card 4111 1111 1111 1111 was declined';
      const inLoans = await start({ question, departmentId: loans });
      const inCards = await start({ question, departmentId: cards });
      if (!inLoans.ok || !inCards.ok) throw new Error('a chat did not start');
      // Loans keeps the last four digits only; Cards keeps the default (first six and last four).
      expect(inLoans.chat.question).not.toMatch(/4111 11/);
      expect(inLoans.chat.question).toMatch(/1111 was declined/);
      expect(inCards.chat.question).toMatch(/4111 11/);
      const stored: { question: string; body: string }[] = await db('chats')
        .join('messages', 'messages.chat_id', 'chats.id')
        .where('chats.id', inLoans.chat.id)
        .select('chats.question', 'messages.body');
      expect(stored).toEqual([{ question: inLoans.chat.question, body: inLoans.chat.question }]);
    } finally {
      await masking.set(loans, DEFAULT_MASKING, actor, t.parley.services.audit);
    }
  });
});
