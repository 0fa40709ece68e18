import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket as TcpSocket } from 'node:net';
import type { Logger } from '../log.ts';

// Sends messages to a syslog collector (a SIEM): UDP datagrams (RFC 5426) or TCP with octet-counting
// framing (RFC 6587). Sending never blocks or fails the caller: messages wait in a bounded queue and
// are dropped, and counted, while the collector cannot take them. The audit log's forwarder
// (app/domain/audit/syslogForwarder.ts) formats each entry and hands it here.

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

export const UDP_MAX_BYTES = 2048; // what RFC 5426 says every receiver should accept
export const TCP_MAX_BYTES = 16384;

export interface SyslogSinkOptions {
  log?: Logger;
  /** Most messages waiting for the collector; more are dropped and counted. */
  queueMax?: number;
}

export interface SyslogSink {
  /** The largest message this transport carries. */
  maxBytes: number;
  send(message: Buffer): void;
  stats(): { sent: number; dropped: number; queued: number };
  /** Stops sending, after flushing what it can. */
  close(): Promise<void>;
}

/** Sends each message to the collector; connects on first use, reconnects with backoff. */
export function syslogSink(target: SyslogTarget, options: SyslogSinkOptions = {}): SyslogSink {
  const queueMax = options.queueMax ?? 1000;
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
  const transport =
    target.protocol === 'udp'
      ? udpTransport(target, queueMax, health)
      : tcpTransport(target, queueMax, health, () => closed);

  return {
    maxBytes: target.protocol === 'udp' ? UDP_MAX_BYTES : TCP_MAX_BYTES,
    send(message) {
      if (closed) return;
      transport.send(message);
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
  let drained: (() => void) | null = null;
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
        if (inFlight === 0) drained?.();
        if (error) return health.drop(error.message);
        health.counts.sent += 1;
        health.recovered();
      });
    },
    queued: () => inFlight,
    // A send waits for the socket's bind and the address lookup: closing at once would drop the
    // datagrams of a short-lived process (an ops command), so they go first, for up to 2 s.
    close: () =>
      new Promise<void>((resolve) => {
        const current = socket;
        if (!current) return resolve();
        socket = null;
        current.ref(); // the process waits for them
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          drained = null;
          current.close(() => resolve());
        };
        if (inFlight === 0) return finish();
        drained = finish;
        setTimeout(finish, 2000).unref();
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
    // What is queued is written before the socket ends, once connected if it is still connecting
    // (a short-lived process closes right after its first entry), for up to 2 s.
    async close() {
      if (retry) clearTimeout(retry);
      retry = null;
      const current = socket;
      if (!current) return;
      current.ref(); // the process waits for it
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
        const finish = () => {
          flush();
          current.end();
        };
        if (ready) finish();
        else current.once('connect', finish);
      });
    },
  };
}
