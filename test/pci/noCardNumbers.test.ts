import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageView } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import {
  allLogLines,
  containing,
  dumpDatabase,
  ok,
  readTree,
  send,
  sockets,
  TEST_CARDS,
  type Sockets,
} from './helpers.ts';

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

const [visa, mastercard, amex, discover] = TEST_CARDS as [string, string, string, string];
const TRACK2 = `;${visa}=30121010000000000?`;
const CVC = '7373';

describe('no full card number is kept anywhere (issue 6)', () => {
  it('after a scripted conversation with test numbers in every field, the database, logs and files hold none', async () => {
    const agent = await s.agent('admin');
    const visitor = await s.visitor();
    const delivered: MessageView[] = [];
    agent.socket.on('message:new', (m) => delivered.push(m));
    visitor.on('message:new', (m) => delivered.push(m));

    // Pre-chat fields: name, email, question.
    const { chat } = ok(
      await visitor.emitWithAck('chat:start', {
        name: `Ada ${visa.replace(/(\d{4})/g, '$1 ').trim()}`,
        email: `${mastercard}@example.test`,
        question: `Charge ${amex.slice(0, 4)}-${amex.slice(4, 10)}-${amex.slice(10)} cvv ${CVC}`,
      }),
    );
    expect(chat.visitorName).toContain('••');
    expect(chat.question).not.toContain(CVC);
    ok(await agent.socket.emitWithAck('chat:accept', { chatId: chat.id }));

    // Messages both ways, with every separator style, a security code and track data.
    const lines = [
      `my card is ${discover.replace(/(\d{4})(?=\d)/g, '$1.')}`,
      `or ${mastercard.replace(/(\d{4})(?=\d)/g, '$1-')} exp 12/30 ${CVC}`,
      `swipe ${TRACK2}`,
      `${visa}`,
    ];
    for (const line of lines) {
      const reply = ok(await send(visitor, chat.id, line));
      expect(reply.message.body).not.toMatch(/\d{13}/);
    }
    const fromAgent = ok(await send(agent.socket, chat.id, `Thanks, I have ${amex} on file`));
    expect(fromAgent.message.body).toContain('••');

    // Errors never echo what was typed.
    const tooLong = await send(visitor, chat.id, `${visa} ${'x'.repeat(20_000)}`);
    expect(tooLong.ok).toBe(false);
    const badClient = await visitor.emitWithAck('message:send', {
      chatId: chat.id,
      clientId: `id ${visa}`,
      body: 'hello',
    });
    expect(badClient.ok).toBe(false);
    expect(containing([JSON.stringify(tooLong), JSON.stringify(badClient)], TEST_CARDS)).toEqual(
      [],
    );

    ok(await agent.socket.emitWithAck('chat:end', { chatId: chat.id }));

    // The transcript over HTTP shows the masked numbers.
    const transcript = await t
      .http()
      .get(`/api/transcripts/${chat.id}`)
      .set('Cookie', agent.cookie)
      .set('Origin', TEST_ORIGIN)
      .expect(200);
    expect(JSON.stringify(transcript.body)).toContain('••');

    const everywhere = [
      ...(await dumpDatabase(db)),
      ...logs.lines,
      ...readTree(t.config.env.PARLEY_FILES_DIR),
      ...delivered.map((m) => JSON.stringify(m)),
    ];
    expect(containing(everywhere, [...TEST_CARDS, TRACK2])).toEqual([]);
    expect(everywhere.filter((text) => new RegExp(`\\b${CVC}\\b`).test(text))).toEqual([]);
    // The scripted conversation did reach the database.
    expect(await db('messages').where({ chat_id: chat.id }).count({ n: '*' })).toEqual([
      { n: lines.length + 2 },
    ]);
  });
});
