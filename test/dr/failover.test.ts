import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../app/domain/audit/auditLog.ts';
import { createLogger } from '../../app/log.ts';
import { semiSyncWatch } from '../../backup/worker/semiSyncWatch.ts';
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
let acked: string[] = [];

async function token(url: string): Promise<string> {
  const res = await fetch(`${url}/api/visitor/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await res.json()) as { token: string }).token;
}

/** As the widget does: a handshake refused with retryAfter (a standby) is tried again. */
function widgetLike(visitor: VisitorSocket): void {
  visitor.on('connect_error', (error: Error & { data?: { retryAfter?: number } }) => {
    if (!visitor.active && error.data?.retryAfter) setTimeout(() => visitor.connect(), 200);
  });
}

const messagesOn = async (sql: typeof pair.A.sql) =>
  new Set(
    (await sql('messages').select('client_id')).map((r: { client_id: string }) => r.client_id),
  );

async function auditedOn(sql: typeof pair.A.sql, action: string) {
  const [rows] = (await sql.raw(
    'SELECT outcome, CAST(details AS CHAR) AS details FROM audit_events WHERE action = ?',
    [action],
  )) as [{ outcome: string; details: string }[]];
  return rows;
}

beforeAll(async () => {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // fetch to the test CA's 127.0.0.1 certificate
  pair = await drPair(1000);
  // Both databases start read-only; installing the primary makes it writable once.
  pair.A.db.root(
    'SET GLOBAL read_only = 0; CREATE DATABASE parley CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
  );
  await pair.migrate(pair.A);
  expect((await pair.dr(pair.A, 'resume')).out).toMatch(/writable already: nothing to do/);
  // The standby is installed by `make rejoin` against the primary: it follows from the start.
  const join = await pair.dr(pair.B, 'rejoin');
  expect(join.code, join.out).toBe(0);
  await pair.startApp(pair.A);
  await pair.startApp(pair.B);
  name = await publicName(Number(pair.A.env.PARLEY_HTTPS_PORT));
}, 120_000);

afterAll(async () => {
  name?.close();
  await pair?.close();
}, 60_000);

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
    const visitor = await chatting();
    acked = visitor.ids; // each pushed once acknowledged
    let stop = false;
    const sender = (async () => {
      while (!stop) await visitor.send(1);
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
    const rows = await pair.B.sql('messages').count({ n: '*' }).where({ chat_id: visitor.chatId });
    expect(Number(rows[0]!.n)).toBe(new Set(acked).size); // none twice
    expect((await pair.dr(pair.B, 'failover')).out).toMatch(/already the primary: nothing to do/);
  }, 180_000);
});

/**
 * A visitor through the public name with one chat; `send(n)` sends n messages, each resent until
 * acknowledged, and `ids` lists them as they are.
 */
async function chatting() {
  const visitor: VisitorSocket = io(`${name.url}/visitor`, {
    ca: caCert().toString(),
    auth: { token: await token(name.url) },
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    forceNew: true,
  });
  widgetLike(visitor);
  await new Promise<void>((r) => visitor.once('connect', () => r()));
  const started = (await visitor.emitWithAck('chat:start', {})) as Ack;
  if (!started.ok) throw new Error(JSON.stringify(started));
  const ids: string[] = [];
  return {
    ids,
    chatId: started.chat!.id,
    async send(n: number) {
      for (let i = 0; i < n; i++) {
        const clientId = randomUUID();
        for (;;) {
          const ack = (await visitor
            .timeout(2000)
            .emitWithAck('message:send', {
              chatId: started.chat!.id,
              clientId,
              body: `m ${clientId}`,
            })
            .catch(() => null)) as Ack | null;
          if (ack?.ok) break;
          await sleep(100); // not acknowledged: the widget resends the same clientId
        }
        ids.push(clientId);
      }
    },
    close: () => visitor.close(),
  };
}

const seqOf = (gtid: string) =>
  Math.max(
    0,
    ...gtid
      .split(',')
      .filter(Boolean)
      .map((g) => Number(g.split('-')[2])),
  );
const gtidPos = (db: typeof pair.A.db) => db.root('SELECT @@gtid_current_pos').trim();

describe('the old primary comes back', () => {
  it('restarts read-only, rejoins as the standby, and a failback loses nothing', async () => {
    await pair.A.db.start();
    expect(pair.A.db.root('SELECT @@read_only').trim()).toBe('1'); // never serves writes by itself
    await pair.startApp(pair.A);
    expect((await fetch(`${pair.A.app!.url}/readyz`)).status).toBe(503);
    const rejoins = (await auditedOn(pair.B.sql, 'dr.rejoin')).length; // B's own, replicated from A
    const back = await pair.dr(pair.A, 'rejoin');
    expect(back.code, back.out).toBe(0);
    // A write in flight at the kill may have reached A's binlog unacknowledged: then it is reported and kept.
    if (/DIVERGED/.test(back.out)) expect(back.out).toMatch(/kept in .*diverged-.*\.sql/);
    // Audited where writes go, the promoted B, reached with the DR account over TLS.
    expect(await auditedOn(pair.B.sql, 'dr.rejoin')).toHaveLength(rejoins + 1);
    const visitor = await chatting();
    await visitor.send(5);
    const fb = await pair.dr(pair.A, 'failback');
    expect(fb.code, fb.out).toBe(0);
    expect(fb.out).toMatch(/Recovery point \(what the promotion loses\): none/);
    expect(fb.out).toMatch(/No divergence/); // B follows A from its own position
    name.switchTo(Number(pair.A.env.PARLEY_HTTPS_PORT));
    await visitor.send(3); // the same visitor goes on, on A
    visitor.close();
    const onA = await messagesOn(pair.A.sql);
    expect([...acked, ...visitor.ids].filter((id) => !onA.has(id))).toEqual([]);
    let st = await pair.dr(pair.B, 'status');
    for (let i = 0; i < 50 && !/last failover .* failback/.test(st.out); i++) {
      await sleep(100); // the failback's record reaches B once B follows A
      st = await pair.dr(pair.B, 'status');
    }
    expect(st.out).toMatch(/role\s+standby/);
    expect(st.out).toMatch(/last failover .* failback/);
  }, 120_000);

  it('refuses a second failover within the anti-flap period unless forced', async () => {
    const again = await pair.dr(pair.B, 'failover');
    expect(again.code, again.out).toBe(2);
    expect(again.out).toMatch(/a second within 30 min is refused/);
    expect(pair.A.db.root('SELECT @@read_only').trim()).toBe('0'); // nothing was fenced
  });
});

describe('replication broken before the failover', () => {
  it('shows the loss, refuses without FORCE, and with FORCE reports the gap exactly', async () => {
    // The primary's worker keeps the record of the fall back (here its watch alone, on A's database).
    const watch = semiSyncWatch(
      pair.A.sql,
      auditLog(pair.A.sql),
      createLogger('silent', 'test'),
      200,
    );
    await sleep(500);
    pair.B.db.root('STOP SLAVE IO_THREAD');
    const visitor = await chatting();
    const from = Date.now();
    // The "replication broken for a minute": semi-sync times out, the primary goes on alone.
    while (Date.now() - from < 60_000) await visitor.send(5);
    visitor.close();
    const primary = await pair.dr(pair.A, 'status');
    expect(primary.out).toMatch(/FELL BACK TO ASYNCHRONOUS/);
    await watch.stop();
    const recorded = await auditedOn(pair.A.sql, 'dr.semisync');
    expect(recorded.map((r) => r.outcome)).toEqual(['failure']);
    expect(recorded[0]!.details).toMatch(/"from":"sync".*"to":"async"/);
    const st = await pair.dr(pair.B, 'status');
    expect(st.code, st.out).toBe(3);
    expect(st.out).toMatch(/WOULD LOSE DATA/);
    const gap = seqOf(gtidPos(pair.A.db)) - seqOf(gtidPos(pair.B.db));
    expect(gap).toBeGreaterThan(0);
    const noFlap = { PARLEY_DR_ANTIFLAP_MINUTES: '0', PARLEY_DR_APPLY_TIMEOUT_SECONDS: '5' };
    const refused = await pair.dr(pair.B, 'failover', noFlap);
    expect(refused.code, refused.out).toBe(2);
    expect(refused.out).toMatch(/would lose .*given its writes back/s);
    expect(pair.A.db.root('SELECT @@read_only').trim()).toBe('0');
    const forced = await pair.dr(pair.B, 'failover', { ...noFlap, FORCE: '1' });
    expect(forced.code, forced.out).toBe(0);
    console.log(
      `DR forced failover: gap ${gap} transactions; reported: ${/Recovery point[^\n]*/.exec(forced.out)?.[0]}`,
    );
    expect(forced.out).toContain(
      `Recovery point (what the promotion loses): ${gap} transaction(s) of domain 0`,
    );
    expect(pair.A.db.root('SELECT @@read_only').trim()).toBe('1'); // fenced
    name.switchTo(Number(pair.B.env.PARLEY_HTTPS_PORT));

    // The old primary has writes B never got: rejoin reports them, keeps them, and re-seeds.
    const back = await pair.dr(pair.A, 'rejoin');
    expect(back.code, back.out).toBe(0);
    expect(back.out).toContain(`DIVERGED: this site wrote ${gap} transaction(s)`);
    expect(back.out).toMatch(/kept in .*diverged-.*\.sql/);
    const onB = await messagesOn(pair.B.sql);
    for (let i = 0; i < 50 && (await messagesOn(pair.A.sql)).size !== onB.size; i++)
      await sleep(100);
    expect(await messagesOn(pair.A.sql)).toEqual(onB);
    expect((await pair.dr(pair.A, 'status')).out).toMatch(/IO running, SQL running/);
  }, 240_000);
});
