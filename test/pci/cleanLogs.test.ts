import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecureFormOffer, SecureFormSubmission } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { createAgentKey, sealForAgent } from '../../ui/shared/secureFormCrypto.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  nextEvent,
  signIn,
  startTestParley,
  visitorToken,
  type TestParley,
} from '../harness/parley.ts';
import { allLogLines, containing, ok, send, sockets, TEST_CARDS, type Sockets } from './helpers.ts';

let t: TestParley;
let db: Db;
let s: Sockets;
const logs = allLogLines();

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  t = await startTestParley({}, logs.log);
  s = sockets(t, db);
});
afterAll(async () => {
  s.close();
  await t.close();
  await db.destroy();
});

const [visa, mastercard] = TEST_CARDS as [string, string];

describe('clean logs (issue 6)', () => {
  it('no log line, error reply or audit entry holds a password, session id, token, card number or secure-form payload', async () => {
    const secrets: string[] = [...TEST_CARDS];
    const replies: unknown[] = [];
    const password = `pw ${visa} horse battery`;
    const { agent } = await createAgent(db, { role: 'admin', password });
    secrets.push(password);

    // Sign-in: a wrong password (with a card number in it), then the right one.
    const wrong = `wrong ${mastercard} staple`;
    secrets.push(wrong);
    replies.push(
      (
        await t
          .http()
          .post('/api/agent/session')
          .set('Origin', TEST_ORIGIN)
          .send({ email: agent.email, password: wrong })
      ).body,
    );
    replies.push(
      (
        await t
          .http()
          .post('/api/agent/session')
          .set('Origin', TEST_ORIGIN)
          .set('Content-Type', 'application/json')
          .send(`{"email":"${agent.email}","password":"${wrong}"`)
      ).body,
    );
    const cookie = await signIn(t, agent.email, password);
    const sessionId = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
    secrets.push(sessionId);

    // HTTP with the session, a card number in a path, and a bad body.
    await t.http().get('/api/agent/session').set('Cookie', cookie).expect(200);
    replies.push((await t.http().get(`/api/transcripts/${visa}`).set('Cookie', cookie)).body);
    replies.push(
      (
        await t
          .http()
          .post('/api/agent/password')
          .set('Cookie', cookie)
          .set('Origin', TEST_ORIGIN)
          .send({ currentPassword: wrong, newPassword: `${visa}${visa}`, extra: visa })
      ).body,
    );

    // Sockets: refused handshakes with made-up credentials, then a real conversation.
    const forged = connectAgent(t.url, `parley_session=${sessionId}x`);
    await connected(forged).catch(() => undefined);
    forged.disconnect();
    const badVisitor = connectVisitor(t.url, `${visa}.token`);
    await connected(badVisitor).catch(() => undefined);
    badVisitor.disconnect();

    const token = await visitorToken(t);
    secrets.push(token);
    const agentSocket = connectAgent(t.url, cookie);
    await connected(agentSocket);
    const visitor = connectVisitor(t.url, token);
    await connected(visitor);
    const { chat } = ok(await visitor.emitWithAck('chat:start', { question: `card ${visa}` }));
    ok(await agentSocket.emitWithAck('chat:accept', { chatId: chat.id }));
    replies.push(await send(visitor, chat.id, `mine is ${mastercard}`));
    replies.push(await send(agentSocket, chat.id, `noted ${visa}`));
    replies.push(
      await visitor.emitWithAck('message:send', {
        chatId: chat.id,
        clientId: visa,
        body: 'x'.repeat(100_000),
      }),
    );
    replies.push(
      await (
        visitor as unknown as { emitWithAck(e: string, p: unknown): Promise<unknown> }
      ).emitWithAck(visa, { visa }),
    );

    // The secure form: its key, nonce and ciphertext must not be logged anywhere.
    const key = await createAgentKey();
    const offered = nextEvent<SecureFormOffer>(visitor, 'secureForm:requested');
    ok(
      await agentSocket.emitWithAck('secureForm:request', {
        chatId: chat.id,
        publicKey: key.publicKey,
      }),
    );
    const offer = await offered;
    const sealed = await sealForAgent(offer.publicKey, chat.id, offer.formId, {
      number: visa,
      expiry: '12/30',
      name: 'Ada Lovelace',
      cvc: '737',
    });
    secrets.push(sealed.ciphertext, sealed.publicKey, key.publicKey, 'Ada Lovelace');
    const relayed = nextEvent<SecureFormSubmission>(agentSocket, 'secureForm:submitted');
    ok(
      await visitor.emitWithAck('secureForm:submit', {
        chatId: chat.id,
        formId: offer.formId,
        ...sealed,
      }),
    );
    await relayed;
    replies.push(
      await visitor.emitWithAck('secureForm:submit', {
        chatId: chat.id,
        formId: randomUUID(),
        ...sealed,
      }),
    );

    // Sign-out ends the session.
    await t
      .http()
      .delete('/api/agent/session')
      .set('Cookie', cookie)
      .set('Origin', TEST_ORIGIN)
      .expect(204);
    agentSocket.disconnect();
    visitor.disconnect();

    const audit = (await db('audit_events').select('*')).map((row) => JSON.stringify(row));
    expect(logs.lines.length).toBeGreaterThan(5);
    // The card number in a request path was logged, masked.
    expect(logs.lines.some((line) => line.includes('/api/transcripts/411111••••••1111'))).toBe(
      true,
    );
    expect(audit.length).toBeGreaterThan(3);
    expect(containing(logs.lines, secrets)).toEqual([]);
    expect(containing(audit, secrets)).toEqual([]);
    expect(
      containing(
        replies.map((reply) => JSON.stringify(reply)),
        secrets,
      ),
    ).toEqual([]);
  });
});
