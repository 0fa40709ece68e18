import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, type AuditRow } from '../../app/domain/audit/auditLog.ts';
import { formatSyslog, SD_ID } from '../../app/domain/audit/syslogFormat.ts';
import { auditForwarding, syslogForwarder } from '../../app/domain/audit/syslogForwarder.ts';
import { parseSyslogTarget, UDP_MAX_BYTES } from '../../app/storage/syslogSink.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { capturingLogger, signIn, startTestParley } from '../harness/parley.ts';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());
beforeEach(() => truncateAll(db));

interface Syslog5424 {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: Record<string, Record<string, string>>;
  msg: string;
}

// RFC 5424 section 6: HEADER SP STRUCTURED-DATA [SP MSG].
const NAME = '[\\x21\\x23-\\x3c\\x3e-\\x5c\\x5e-\\x7e]{1,32}'; // PRINTUSASCII except = ] " and SP
const HEADER = new RegExp(
  '^<(\\d{1,3})>1 ' +
    '(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,6})?(?:Z|[+-]\\d{2}:\\d{2})) ' +
    '([\\x21-\\x7e]{1,255}) ([\\x21-\\x7e]{1,48}) ([\\x21-\\x7e]{1,128}) ([\\x21-\\x7e]{1,32}) ',
);
const ELEMENT = new RegExp(`^\\[(${NAME})((?: ${NAME}="(?:[^"\\\\\\]]|\\\\["\\\\\\]])*")*)\\]`);
const PARAM = new RegExp(`(${NAME})="((?:[^"\\\\\\]]|\\\\["\\\\\\]])*)"`, 'g');

/** Parses one message strictly against RFC 5424's grammar; throws on anything else. */
function parse5424(buffer: Buffer): Syslog5424 {
  const text = buffer.toString('utf8');
  const header = HEADER.exec(text);
  if (!header) throw new Error(`not an RFC 5424 header: ${text.slice(0, 80)}`);
  let rest = text.slice(header[0].length);
  const sd: Syslog5424['sd'] = {};
  if (rest.startsWith('-')) rest = rest.slice(1);
  else {
    for (let element = ELEMENT.exec(rest); element; element = ELEMENT.exec(rest)) {
      sd[element[1]!] = Object.fromEntries(
        [...element[2]!.matchAll(PARAM)].map((m) => [m[1]!, m[2]!.replace(/\\(["\\\]])/g, '$1')]),
      );
      rest = rest.slice(element[0].length);
    }
    if (Object.keys(sd).length === 0) throw new Error('bad STRUCTURED-DATA');
  }
  if (rest !== '' && !rest.startsWith(' ')) throw new Error('MSG must follow a space');
  const msg = rest.slice(1);
  return {
    pri: Number(header[1]),
    timestamp: header[2]!,
    hostname: header[3]!,
    appName: header[4]!,
    procId: header[5]!,
    msgId: header[6]!,
    sd,
    msg,
  };
}

async function udpCollector(): Promise<{
  socket: UdpSocket;
  port: number;
  next(): Promise<Buffer>;
}> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  const waiting: ((message: Buffer) => void)[] = [];
  socket.on('message', (message) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else received.push(message);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    socket,
    port: socket.address().port,
    next: () =>
      new Promise<Buffer>((resolve, reject) => {
        const ready = received.shift();
        if (ready) return resolve(ready);
        const timer = setTimeout(() => reject(new Error('no syslog datagram')), 5000);
        waiting.push((message) => {
          clearTimeout(timer);
          resolve(message);
        });
      }),
  };
}

/** A TCP collector that splits octet-counted frames (RFC 6587 section 3.4.1). */
async function tcpCollector(port = 0) {
  const frames: Buffer[] = [];
  const connections = new Set<Socket>();
  const server: Server = createServer((connection) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    let pending = Buffer.alloc(0);
    connection.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const space = pending.indexOf(0x20);
        if (space < 0) return;
        const length = Number(pending.subarray(0, space).toString('ascii'));
        if (!Number.isInteger(length)) throw new Error('bad frame');
        if (pending.length < space + 1 + length) return;
        frames.push(pending.subarray(space + 1, space + 1 + length));
        pending = pending.subarray(space + 1 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    frames,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of connections) connection.destroy();
      }),
  };
}

const entry = {
  actor: { kind: 'agent' as const, id: 5, label: 'ann "the admin" [ops]\\x' },
  action: 'agent.update',
  outcome: 'success' as const,
  target: { kind: 'agent', id: 12 },
  departmentId: 3,
  ip: '203.0.113.5',
  userAgent: 'Mozilla/5.0',
  details: { name: ['Old', 'Néw'] },
};

function expectMessageFor(message: Syslog5424, row: AuditRow, appName: string) {
  expect(message.pri).toBe(13 * 8 + 6); // facility "log audit", informational
  expect(message.timestamp).toBe(row.at.toISOString());
  expect(message.appName).toBe(appName);
  expect(message.procId).toBe(String(process.pid));
  expect(message.msgId).toBe('agent.update');
  expect(message.sd[SD_ID]).toEqual({
    id: String(row.id),
    hash: row.hash.toString('hex'),
    action: 'agent.update',
    outcome: 'success',
    actorKind: 'agent',
    actorId: '5',
    actor: 'ann "the admin" [ops]\\x',
    target: 'agent:12',
    departmentId: '3',
    ip: '203.0.113.5',
    userAgent: 'Mozilla/5.0',
  });
  expect(message.msg).toBe(
    '\uFEFFann "the admin" [ops]\\x agent.update agent:12 success {"name":["Old","Néw"]}',
  );
}

describe('the syslog target setting', () => {
  it('reads udp:// and tcp:// with a port, and nothing else', () => {
    expect(parseSyslogTarget('udp://siem.example.com:514')).toEqual({
      protocol: 'udp',
      host: 'siem.example.com',
      port: 514,
    });
    expect(parseSyslogTarget('tcp://[2001:db8::1]:6514')).toEqual({
      protocol: 'tcp',
      host: '2001:db8::1',
      port: 6514,
    });
    for (const bad of ['', 'siem:514', 'http://siem:514', 'udp://siem', 'udp://siem:0']) {
      expect(parseSyslogTarget(bad), bad).toBeNull();
    }
  });

  it('forwards nothing, and opens no connection, when it is empty', () => {
    expect(
      auditForwarding({ PARLEY_AUDIT_SYSLOG: '', PARLEY_AUDIT_SYSLOG_APP_NAME: 'parley' }),
    ).toBeUndefined();
  });
});

describe('forwarding audit entries to syslog', () => {
  it('sends each committed entry as one RFC 5424 datagram over UDP', async () => {
    const collector = await udpCollector();
    const forwarder = syslogForwarder(
      { protocol: 'udp', host: '127.0.0.1', port: collector.port },
      { appName: 'parley-test' },
    );
    try {
      const log = auditLog(db, { sink: forwarder });
      const row = await log.record(entry);
      expectMessageFor(parse5424(await collector.next()), row, 'parley-test');
      const failed = await log.record({ ...entry, outcome: 'denied', details: undefined });
      const second = parse5424(await collector.next());
      expect(second.pri).toBe(13 * 8 + 4); // warning
      expect(second.sd[SD_ID]!.id).toBe(String(failed.id));
      expect(forwarder.stats()).toMatchObject({ sent: 2, dropped: 0 });
    } finally {
      await forwarder.close();
      collector.socket.close();
    }
  });

  it('keeps a datagram within the size every receiver accepts', () => {
    const row = {
      id: 1,
      at: new Date(),
      actor_kind: 'agent',
      actor_id: 1,
      actor_label: 'x',
      ip: '',
      user_agent: '',
      action: 'a.b',
      target_kind: '',
      target_id: '',
      department_id: null,
      outcome: 'success',
      details: JSON.stringify({ text: 'ü'.repeat(5000) }),
      prev_hash: Buffer.alloc(32),
      hash: Buffer.alloc(32),
    } satisfies AuditRow;
    const message = formatSyslog(row, { appName: 'parley', maxBytes: UDP_MAX_BYTES });
    expect(message.length).toBeLessThanOrEqual(UDP_MAX_BYTES);
    expect(parse5424(message).msg.startsWith('\uFEFFx a.b success {"text":"üü')).toBe(true);
    expect(message.toString('utf8')).not.toContain('\ufffd'); // cut between characters
  });

  it('sends octet-counted frames over TCP', async () => {
    const collector = await tcpCollector();
    const forwarder = syslogForwarder(
      { protocol: 'tcp', host: '127.0.0.1', port: collector.port },
      { appName: 'parley-tcp' },
    );
    try {
      const log = auditLog(db, { sink: forwarder });
      const rows = [await log.record(entry), await log.record(entry)];
      await expect.poll(() => collector.frames.length).toBe(2);
      rows.forEach((row, i) =>
        expectMessageFor(parse5424(collector.frames[i]!), row, 'parley-tcp'),
      );
    } finally {
      await forwarder.close();
      await collector.close();
    }
  });

  it('never holds up an action while the collector is down: queues, drops and counts, warns once', async () => {
    const probe = await tcpCollector();
    const port = probe.port;
    await probe.close(); // nothing listens here now
    const { log: logger, lines } = capturingLogger();
    const forwarder = syslogForwarder(
      { protocol: 'tcp', host: '127.0.0.1', port },
      { appName: 'parley', log: logger, queueMax: 3 },
    );
    try {
      const log = auditLog(db, { sink: forwarder });
      const started = performance.now();
      for (let i = 0; i < 5; i += 1) await log.record(entry);
      expect(performance.now() - started).toBeLessThan(2000);
      await expect.poll(() => lines.filter((line) => line.includes('unreachable')).length).toBe(1);
      expect(forwarder.stats()).toMatchObject({ sent: 0, dropped: 2, queued: 3 });
      expect(await log.verify()).toEqual({ ok: true, checked: 5 });

      // The collector comes back: the queued entries are delivered, and that is logged.
      const collector = await tcpCollector(port);
      try {
        await expect.poll(() => collector.frames.length, { timeout: 10_000 }).toBe(3);
        expect(lines.some((line) => line.includes('forwarding resumed'))).toBe(true);
        expect(lines.filter((line) => line.includes('unreachable'))).toHaveLength(1);
      } finally {
        await forwarder.close();
        await collector.close();
      }
    } finally {
      await forwarder.close();
    }
  });

  it('is wired into Parley by PARLEY_AUDIT_SYSLOG', async () => {
    const collector = await udpCollector();
    const t = await startTestParley({
      PARLEY_HTTP_REDIRECT: 'false',
      PARLEY_AUDIT_SYSLOG: `udp://127.0.0.1:${collector.port}`,
      PARLEY_AUDIT_SYSLOG_APP_NAME: 'parley-app',
    });
    try {
      const { agent, password } = await createAgent(db, { role: 'admin' });
      const cookie = await signIn(t, agent.email, password);
      await t.http().get('/api/audit/verify').set('Cookie', cookie).expect(200);
      // Signing in may be audited too: wait for the verification's message.
      for (;;) {
        const message = parse5424(await collector.next());
        expect(message.appName).toBe('parley-app');
        if (message.msgId !== 'audit.verify') continue;
        expect(message.sd[SD_ID]).toMatchObject({
          actorId: String(agent.id),
          action: 'audit.verify',
        });
        break;
      }
    } finally {
      await t.close();
      collector.socket.close();
    }
  });
});
