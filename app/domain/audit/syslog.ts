import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket as TcpSocket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { Logger } from '../../log.ts';
import type { AuditSink } from './auditLog.ts';
import type { AuditRow } from './chain.ts';

// Forwards every committed audit entry to a syslog collector (a SIEM) as one RFC 5424 message:
// UDP datagrams (RFC 5426) or TCP with octet-counting framing (RFC 6587). Sending never blocks
// or fails the audited action: messages wait in a bounded queue and are dropped, and counted,
// while the collector cannot take them.

export interface SyslogTarget {
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
}

/** `udp://host:port` or `tcp://host:port` (an IPv6 host in brackets); null when empty. */
export function parseSyslogTarget(raw: string): SyslogTarget | null {
  const match = /^(udp|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return {
    protocol: match[1] as 'udp' | 'tcp',
    host: match[2]!.replace(/^\[|\]$/g, ''),
    port,
  };
}

// RFC 5424 section 6.2.1: facility 13 is "log audit"; severity 6 informational, 4 warning.
const FACILITY_LOG_AUDIT = 13;
// RFC 5424 section 7.2.2 asks for name@<private enterprise number>; Parley has none registered,
// so it uses 32473, the number reserved for documentation and examples (RFC 5612).
export const SD_ID = 'parley@32473';
const BOM = '\u{FEFF}';
export const UDP_MAX_BYTES = 2048; // what RFC 5426 says every receiver should accept
export const TCP_MAX_BYTES = 16384;
const SD_VALUE_MAX = 200;

/** PRINTUSASCII only (no spaces), at most `max` characters, `-` when nothing is left. */
function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** A PARAM-VALUE: `"`, `\` and `]` escaped (RFC 5424 section 6.3.3). */
function sdValue(value: string): string {
  return Array.from(value)
    .slice(0, SD_VALUE_MAX)
    .join('')
    .replace(/["\\\]]/g, '\\$&');
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Back off to a character boundary.
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

export interface FormatOptions {
  appName: string;
  hostname?: string;
  procId?: string | number;
  maxBytes?: number;
}

/** One RFC 5424 message for an audit entry. */
export function formatSyslog(row: AuditRow, options: FormatOptions): Buffer {
  const severity = row.outcome === 'success' ? 6 : 4;
  const target = row.target_kind || row.target_id ? `${row.target_kind}:${row.target_id}` : '';
  const params: [string, string | number | null][] = [
    ['id', row.id],
    ['hash', row.hash.toString('hex')],
    ['action', row.action],
    ['outcome', row.outcome],
    ['actorKind', row.actor_kind],
    ['actorId', row.actor_id],
    ['actor', row.actor_label],
    ['target', target],
    ['departmentId', row.department_id],
    ['ip', row.ip],
    ['userAgent', row.user_agent],
  ];
  const sd = `[${SD_ID}${params
    .filter(([, value]) => value !== null && value !== '')
    .map(([name, value]) => ` ${name}="${sdValue(String(value))}"`)
    .join('')}]`;
  const header = [
    `<${FACILITY_LOG_AUDIT * 8 + severity}>1`,
    row.at.toISOString(),
    headerField(options.hostname ?? osHostname(), 255),
    headerField(options.appName, 48),
    headerField(String(options.procId ?? process.pid), 128),
    headerField(row.action, 32),
    sd,
  ].join(' ');
  const who = row.actor_label || row.actor_kind;
  const summary = `${who} ${row.action}${target ? ` ${target}` : ''} ${row.outcome}`;
  const message = row.details ? `${summary} ${row.details}` : summary;
  const room = (options.maxBytes ?? TCP_MAX_BYTES) - Buffer.byteLength(`${header} ${BOM}`);
  return Buffer.from(`${header} ${BOM}${truncateUtf8(message, room)}`, 'utf8');
}

export interface SyslogForwarderOptions {
  appName: string;
  log?: Logger;
  /** Most messages waiting for the collector; more are dropped and counted. */
  queueMax?: number;
  hostname?: string;
}

export interface SyslogForwarder extends AuditSink {
  stats(): { sent: number; dropped: number; queued: number };
}

/** Sends each entry to the collector; connects on first use, reconnects with backoff. */
export function syslogForwarder(
  target: SyslogTarget,
  options: SyslogForwarderOptions,
): SyslogForwarder {
  const queueMax = options.queueMax ?? 1000;
  const maxBytes = target.protocol === 'udp' ? UDP_MAX_BYTES : TCP_MAX_BYTES;
  const where = `${target.protocol}://${target.host}:${target.port}`;
  const health: Health = {
    counts: { sent: 0, dropped: 0 },
    warned: false,
    trouble(reason) {
      if (this.warned) return;
      this.warned = true; // once per outage: the dropped counter says how many were lost
      options.log?.warn(
        { collector: where, reason },
        'audit syslog collector unreachable; entries are queued, and dropped when the queue is full',
      );
    },
    drop(reason) {
      this.counts.dropped += 1;
      this.trouble(reason);
    },
    recovered() {
      if (!this.warned) return;
      this.warned = false;
      options.log?.info(
        { collector: where, dropped: this.counts.dropped },
        'audit syslog forwarding resumed',
      );
    },
  };
  let closed = false;
  const format = (row: AuditRow) =>
    formatSyslog(row, { appName: options.appName, hostname: options.hostname, maxBytes });
  const transport =
    target.protocol === 'udp'
      ? udpTransport(target, queueMax, health)
      : tcpTransport(target, queueMax, health, () => closed);

  return {
    send(row) {
      if (closed) return;
      transport.send(format(row));
    },
    stats: () => ({ ...health.counts, queued: transport.queued() }),
    async close() {
      closed = true;
      await transport.close();
    },
  };
}

interface Health {
  counts: { sent: number; dropped: number };
  warned: boolean;
  /** Logs one warning per outage. */
  trouble(reason: string): void;
  /** Counts a message that could not be sent. */
  drop(reason: string): void;
  recovered(): void;
}

function udpTransport(target: SyslogTarget, queueMax: number, health: Health) {
  let socket: UdpSocket | null = null;
  let inFlight = 0;
  return {
    send(message: Buffer) {
      if (inFlight >= queueMax) return health.drop('queue full');
      if (!socket) {
        socket = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
        socket.on('error', () => undefined); // per-send errors arrive in the callback
        socket.unref();
      }
      inFlight += 1;
      socket.send(message, target.port, target.host, (error) => {
        inFlight -= 1;
        if (error) return health.drop(error.message);
        health.counts.sent += 1;
        health.recovered();
      });
    },
    queued: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        if (!socket) return resolve();
        socket.close(() => resolve());
      }),
  };
}

function tcpTransport(
  target: SyslogTarget,
  queueMax: number,
  health: Health,
  isClosed: () => boolean,
) {
  const queue: Buffer[] = [];
  let socket: TcpSocket | null = null;
  let ready = false;
  let waitingForDrain = false;
  let retry: NodeJS.Timeout | null = null;
  let backoffMs = 250;

  function open(): void {
    if (socket || retry || isClosed()) return;
    const current = connect({ host: target.host, port: target.port });
    socket = current;
    current.setKeepAlive(true, 30_000);
    current.setNoDelay(true);
    current.unref();
    current.on('connect', () => {
      ready = true;
      backoffMs = 250;
      health.recovered();
      flush();
    });
    current.on('drain', () => {
      waitingForDrain = false;
      flush();
    });
    current.on('error', (error) => health.trouble(error.message));
    current.on('close', () => {
      socket = null;
      ready = false;
      waitingForDrain = false;
      if (isClosed()) return;
      retry = setTimeout(() => {
        retry = null;
        if (queue.length > 0) open();
      }, backoffMs);
      retry.unref();
      backoffMs = Math.min(backoffMs * 2, 30_000);
    });
  }

  function flush(): void {
    while (ready && socket && !waitingForDrain && queue.length > 0) {
      const message = queue.shift()!;
      // Octet counting (RFC 6587 section 3.4.1): "<length> <message>".
      const framed = Buffer.concat([Buffer.from(`${message.length} `), message]);
      health.counts.sent += 1;
      if (!socket.write(framed)) waitingForDrain = true;
    }
  }

  return {
    send(message: Buffer) {
      if (queue.length >= queueMax) return health.drop('queue full');
      queue.push(message);
      if (ready) flush();
      else open();
    },
    queued: () => queue.length,
    async close() {
      if (retry) clearTimeout(retry);
      retry = null;
      flush();
      const current = socket;
      if (!current) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          current.destroy();
          resolve();
        }, 2000);
        timer.unref();
        current.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        current.end();
      });
    },
  };
}

/** The forwarder the configuration asks for, or none (and no outbound connection) when empty. */
export function auditForwarding(
  env: { PARLEY_AUDIT_SYSLOG: string; PARLEY_AUDIT_SYSLOG_APP_NAME: string },
  log?: Logger,
): SyslogForwarder | undefined {
  const target = parseSyslogTarget(env.PARLEY_AUDIT_SYSLOG);
  if (!target) return undefined;
  return syslogForwarder(target, { appName: env.PARLEY_AUDIT_SYSLOG_APP_NAME, log });
}
