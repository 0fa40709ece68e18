import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitsResponse } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { visitorTokens } from '../../app/domain/visitorTokens.ts';
import { TEST_ORIGIN, testConfig } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { caCert, connectAgent, connectVisitor, connected } from '../harness/parley.ts';
import { startAppProcess, type AppProcess } from './appProcess.ts';
import { fromAck, fromConnect, fromHttp } from './helpers.ts';

// Two real app processes (`node app/main.ts`, two ports) sharing one Redis and one database: a
// visitor's budget is the same whichever process answers. Counted in each process's memory, every
// sequence below would pass twice as far.

let db: Db;
let a: AppProcess;
let b: AppProcess;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  const shared = {
    PARLEY_REDIS_KEY_PREFIX: `parley-two-${randomBytes(4).toString('hex')}:`,
    PARLEY_RATE_TOKEN_PER_ADDRESS: '3/60s+2',
    PARLEY_RATE_CONNECT_PER_VISITOR: '2/60s+1',
    PARLEY_RATE_MESSAGE_PER_VISITOR: '3/60s',
  };
  [a, b] = await Promise.all([startAppProcess(shared), startAppProcess(shared)]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db.destroy();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

/** A visitor token signed with the secret key both processes use (not counted as issued). */
const newVisitor = () => visitorTokens(testConfig().secretKey, 30).issue().token;

const http = (app: AppProcess) => request.agent(app.url, { ca: caCert() });

async function signIn(app: AppProcess, email: string, password: string) {
  const res = await http(app)
    .post('/api/agent/session')
    .set('Origin', TEST_ORIGIN)
    .send({ email, password })
    .expect(200);
  return ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
}

describe('two app processes share every budget', () => {
  it('visitor tokens per address: 3 + 2 in all, whichever process is asked', async () => {
    const outcomes = [];
    for (const app of [a, b, a, b, a, b, a]) {
      outcomes.push(fromHttp(await http(app).post('/api/visitor/token').send({})));
    }
    expect(outcomes.map((o) => o.limited)).toEqual([false, false, false, false, false, true, true]);
  });

  it('socket connections per visitor: 2 + 1 in all across the two', async () => {
    const visitor = newVisitor();
    const outcomes = [];
    for (const app of [a, b, a, b]) {
      const socket = connectVisitor(app.url, visitor);
      sockets.push(socket);
      outcomes.push(await fromConnect(socket));
    }
    expect(outcomes.map((o) => o.limited)).toEqual([false, false, false, true]);
  });

  it('messages per visitor: 3 in all, from sockets on both processes; admins of either see the refusals', async () => {
    const { agent, password } = await createAgent(db, { role: 'admin' });
    const cookie = await signIn(a, agent.email, password);
    const agentSocket = connectAgent(a.url, cookie);
    sockets.push(agentSocket);
    const visitor = newVisitor();
    const onA = connectVisitor(a.url, visitor);
    const onB = connectVisitor(b.url, visitor);
    sockets.push(onA, onB);
    await Promise.all([connected(agentSocket), connected(onA), connected(onB)]);
    const started = await onA.emitWithAck('chat:start', {});
    if (!started.ok) throw new Error(started.error.id);
    expect((await agentSocket.emitWithAck('chat:accept', { chatId: started.chat.id })).ok).toBe(
      true,
    );
    const outcomes = [];
    let n = 0;
    for (const socket of [onA, onB, onA, onB, onA]) {
      const reply = await socket.emitWithAck('message:send', {
        chatId: started.chat.id,
        clientId: `two-processes-${++n}`,
        body: `message ${n}`,
      });
      outcomes.push(fromAck(reply));
    }
    expect(outcomes.map((o) => o.limited)).toEqual([false, false, false, true, true]);
    expect(await db('messages').where({ chat_id: started.chat.id })).toHaveLength(3);

    // Each process writes its counts to Redis every 5 s: within that, either one reports both.
    const deadline = Date.now() + 10_000;
    let refused = 0;
    while (Date.now() < deadline) {
      const res = await http(b).get('/api/rate-limits').set('Cookie', cookie).expect(200);
      const report = res.body as RateLimitsResponse;
      refused = report.limits.find((limit) => limit.id === 'message')!.refused.visitor;
      if (refused === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(refused).toBe(2); // one refused by A, one by B
  });

  it('logs a process start with shared counting, and no refusal', () => {
    for (const app of [a, b]) {
      const logged = app.lines.join('\n');
      expect(logged).toContain('redis connected: visitor limits are shared by every app process');
      expect(logged).not.toMatch(/too_many_requests|"status":429/);
    }
  });
});
