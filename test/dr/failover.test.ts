import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caCert, type VisitorSocket } from '../harness/parley.ts';
import { drPair } from './drPair.ts';
import { publicName } from './publicName.ts';

// Issue 15 on one machine: two MariaDB servers and two app processes, chats through the public
// name, the primary SIGKILLed mid-chat, `make failover` on the standby; then failback, the
// anti-flap guard, a failover with replication broken, and a rejoin after divergence.

type Ack =
  | { ok: true; chat?: { id: number }; message?: { seq: number } }
  | { ok: false; error: { id: string } };

let pair: Awaited<ReturnType<typeof drPair>>;
let name: Awaited<ReturnType<typeof publicName>>;
const acked: string[] = [];

async function token(url: string): Promise<string> {
  const res = await fetch(`${url}/api/visitor/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await res.json()) as { token: string }).token;
}

const messagesOn = async (sql: typeof pair.A.sql) =>
  new Set(
    (await sql('messages').select('client_id')).map((r: { client_id: string }) => r.client_id),
  );

beforeAll(async () => {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // fetch to the test CA's 127.0.0.1 certificate
  pair = await drPair(1000);
  pair.A.db.root('CREATE DATABASE parley CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await pair.migrate(pair.A);
  // The standby is installed by `make rejoin` against the primary: it follows from the start.
  const join = await pair.dr(pair.B, 'rejoin');
  expect(join.code, join.out).toBe(0);
  await pair.startApp(pair.A);
  await pair.startApp(pair.B);
  name = await publicName(Number(pair.A.env.PARLEY_HTTPS_PORT));
}, 120_000);

afterAll(async () => {
  await name?.close();
  await pair?.close();
});

describe('a standby site', () => {
  it('replicates over TLS with semi-sync, and serves no chats', async () => {
    const st = await pair.dr(pair.B, 'status');
    expect(st.code, st.out).toBe(0);
    expect(st.out).toMatch(/role\s+standby/);
    expect(st.out).toMatch(/over TLS: IO running, SQL running/);
    expect(st.out).toMatch(/semi-sync\s+on \(this standby acknowledges\)/);
    expect(st.out).toMatch(/failover now\s+would lose nothing/);
    const ready = await fetch(`${pair.B.app!.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'standby', role: 'standby' });
    const refused = await fetch(`${pair.B.app!.url}/api/visitor/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { id: 'standby' } });
  });
});

describe('make failover after the primary is killed mid-chat', () => {
  it('loses no acknowledged message and serves again within 60 s', async () => {
    const visitor: VisitorSocket = io(`${name.url}/visitor`, {
      ca: caCert().toString(),
      auth: { token: await token(name.url) },
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      forceNew: true,
    });
    await new Promise<void>((r) => visitor.once('connect', () => r()));
    const started = (await visitor.emitWithAck('chat:start', {})) as Ack;
    if (!started.ok) throw new Error(JSON.stringify(started));
    const chatId = started.chat!.id;
    const send = async (clientId: string) => {
      for (;;) {
        const ack = (await visitor
          .timeout(2000)
          .emitWithAck('message:send', { chatId, clientId, body: `m ${clientId}` })
          .catch(() => null)) as Ack | null;
        if (ack?.ok) return acked.push(clientId);
        await sleep(100); // not acknowledged: the widget resends the same clientId
      }
    };
    let stop = false;
    const sender = (async () => {
      while (!stop) await send(randomUUID());
    })();
    while (acked.length < 40) await sleep(20);
    // The primary site dies: its database and its app, SIGKILL, mid-chat.
    await pair.A.db.kill();
    process.kill(pair.A.app!.pid, 'SIGKILL');
    const beforeKill = acked.length;
    const refused = await pair.dr(pair.B, 'failover');
    expect(refused.code, refused.out).toBe(2);
    expect(refused.out).toMatch(/cannot be fenced.*FORCE=1/s);

    const from = Date.now();
    const done = await pair.dr(pair.B, 'failover', { FORCE: '1' });
    expect(done.code, done.out).toBe(0);
    expect(done.out).toMatch(/semi-sync was active here/);
    name.switchTo(Number(pair.B.env.PARLEY_HTTPS_PORT)); // IT moves the public name
    while (acked.length === beforeKill) await sleep(20);
    const rtoMs = Date.now() - from;
    console.log(
      `DR failover: RTO ${rtoMs} ms (command start to first message accepted), ${beforeKill} acknowledged before the kill`,
    );
    expect(rtoMs).toBeLessThan(60_000);
    while (acked.length < beforeKill + 10) await sleep(20);
    stop = true;
    await sender;
    visitor.close();
    const onB = await messagesOn(pair.B.sql);
    const missing = acked.filter((id) => !onB.has(id));
    console.log(
      `DR failover: RPO ${missing.length} acknowledged messages missing of ${acked.length}`,
    );
    expect(missing).toEqual([]);
    const rows = await pair.B.sql('messages').count({ n: '*' }).where({ chat_id: chatId });
    expect(Number(rows[0]!.n)).toBe(new Set(acked).size); // none twice
    expect((await pair.dr(pair.B, 'failover')).out).toMatch(/already the primary: nothing to do/);
  }, 180_000);
});
