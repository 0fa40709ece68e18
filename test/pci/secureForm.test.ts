import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecureFormOffer, SecureFormSubmission } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import {
  nextEvent,
  startTestParley,
  type AgentSocket,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';
import {
  createAgentKey,
  openFromVisitor,
  sealForAgent,
  type CardDetails,
} from '../../ui/shared/secureFormCrypto.ts';
import { allLogLines, containing, dumpDatabase, ok, sockets, type Sockets } from './helpers.ts';

let t: TestParley;
let db: Db;
let s: Sockets;
const logs = allLogLines();
const CARD: CardDetails = {
  number: '4111111111111111',
  expiry: '12/30',
  name: 'Ada Lovelace',
  cvc: '737',
};

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({}, logs.log);
  s = sockets(t, db);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => s.close());

async function activeChat(role: 'admin' | 'agent' = 'admin') {
  const agent = await s.agent(role);
  const visitor = await s.visitor();
  const { chat } = ok(await visitor.emitWithAck('chat:start', { name: 'Ada' }));
  if (role === 'admin') ok(await agent.socket.emitWithAck('chat:accept', { chatId: chat.id }));
  return { agent: agent.socket, visitor, chatId: chat.id };
}

async function requestForm(agent: AgentSocket, visitor: VisitorSocket, chatId: number) {
  const key = await createAgentKey();
  const offered = nextEvent<SecureFormOffer>(visitor, 'secureForm:requested');
  const { formId } = ok(
    await agent.emitWithAck('secureForm:request', { chatId, publicKey: key.publicKey }),
  );
  const offer = await offered;
  expect(offer).toEqual({ chatId, formId, publicKey: key.publicKey });
  return { key, offer };
}

describe('the PCI secure form', () => {
  it('relays card details the agent alone can open; the server keeps only metadata', async () => {
    const { agent, visitor, chatId } = await activeChat();
    const { key, offer } = await requestForm(agent, visitor, chatId);
    const sealed = await sealForAgent(offer.publicKey, chatId, offer.formId, CARD);
    const relayed = nextEvent<SecureFormSubmission>(agent, 'secureForm:submitted');
    ok(await visitor.emitWithAck('secureForm:submit', { chatId, formId: offer.formId, ...sealed }));
    const submission = await relayed;
    expect(submission).toEqual({ chatId, formId: offer.formId, ...sealed });
    expect(await openFromVisitor(key.privateKey, chatId, offer.formId, submission)).toEqual(CARD);

    // The transcript and the audit log say that a form was requested and submitted, and nothing else.
    const messages = await db('messages')
      .where({ chat_id: chatId })
      .orderBy('seq')
      .select<{ author_kind: string; body: string }[]>('author_kind', 'body');
    expect(messages.filter((m) => m.author_kind === 'system').map((m) => m.body)).toEqual([
      expect.stringMatching(/requested card details through the secure form/),
      'The visitor submitted the secure form.',
    ]);
    const audit = await db('audit_events')
      .whereIn('action', ['secure_form.request', 'secure_form.submit'])
      .pluck('action');
    expect(audit.sort()).toEqual(['secure_form.request', 'secure_form.submit']);

    const secrets = [CARD.number, CARD.name, sealed.ciphertext, sealed.iv, sealed.publicKey];
    expect(containing(await dumpDatabase(db), secrets)).toEqual([]);
    expect(containing(logs.lines, secrets)).toEqual([]);
  });

  it('cannot be opened with another key, altered, or replayed into another form', async () => {
    const { agent, visitor, chatId } = await activeChat();
    const { key, offer } = await requestForm(agent, visitor, chatId);
    const sealed = await sealForAgent(offer.publicKey, chatId, offer.formId, CARD);
    const other = await createAgentKey();
    await expect(openFromVisitor(other.privateKey, chatId, offer.formId, sealed)).rejects.toThrow();
    await expect(openFromVisitor(key.privateKey, chatId, 'another-form', sealed)).rejects.toThrow();
    const flipped = sealed.ciphertext.startsWith('A')
      ? `B${sealed.ciphertext.slice(1)}`
      : `A${sealed.ciphertext.slice(1)}`;
    await expect(
      openFromVisitor(key.privateKey, chatId, offer.formId, { ...sealed, ciphertext: flipped }),
    ).rejects.toThrow();
  });

  it('takes one answer per form, and none once the chat has ended', async () => {
    const { agent, visitor, chatId } = await activeChat();
    const first = await requestForm(agent, visitor, chatId);
    const sealed = await sealForAgent(first.offer.publicKey, chatId, first.offer.formId, CARD);
    ok(
      await visitor.emitWithAck('secureForm:submit', {
        chatId,
        formId: first.offer.formId,
        ...sealed,
      }),
    );
    const again = await visitor.emitWithAck('secureForm:submit', {
      chatId,
      formId: first.offer.formId,
      ...sealed,
    });
    expect(again).toMatchObject({ ok: false, error: { id: 'secure_form_not_found' } });

    const second = await requestForm(agent, visitor, chatId);
    expect(ok(await visitor.emitWithAck('secureForm:pending', { chatId })).forms).toEqual([
      second.offer,
    ]);
    ok(await agent.emitWithAck('chat:end', { chatId }));
    const late = await sealForAgent(second.offer.publicKey, chatId, second.offer.formId, CARD);
    const refused = await visitor.emitWithAck('secureForm:submit', {
      chatId,
      formId: second.offer.formId,
      ...late,
    });
    expect(refused).toMatchObject({ ok: false, error: { id: 'secure_form_not_found' } });
    expect(
      await agent.emitWithAck('secureForm:request', { chatId, publicKey: second.key.publicKey }),
    ).toMatchObject({
      ok: false,
      error: { id: 'chat_ended' },
    });
  });

  it('needs the chats.secure_form permission, and validates every payload', async () => {
    const { agent, visitor, chatId } = await activeChat('agent');
    const key = await createAgentKey();
    expect(
      await agent.emitWithAck('secureForm:request', { chatId, publicKey: key.publicKey }),
    ).toMatchObject({
      ok: false,
      error: { id: 'forbidden' },
    });
    const bad = await visitor.emitWithAck('secureForm:submit', {
      chatId,
      formId: 'not-a-uuid',
      publicKey: 'x',
      iv: 'y',
      ciphertext: '4111111111111111',
    });
    expect(bad).toMatchObject({ ok: false, error: { id: 'invalid_input' } });
    expect(JSON.stringify(bad)).not.toContain('4111111111111111');
    const unknown = await visitor.emitWithAck('secureForm:submit', {
      chatId,
      formId: '00000000-0000-4000-8000-000000000000',
      publicKey: key.publicKey,
      iv: 'AAAAAAAAAAAAAAAA',
      ciphertext: 'A'.repeat(40),
    });
    expect(unknown).toMatchObject({ ok: false, error: { id: 'secure_form_not_found' } });
  });
});
