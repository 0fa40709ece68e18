import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { addressSubject } from '../domain/rateLimits/subjects.ts';
import type { TrustedProxies } from '../domain/clientAddress.ts';

// Before TLS (issue 12): the TCP listener hands each new connection to the HTTPS server, but at most
// `perAddress` TLS handshakes at a time per peer address (an IPv6 /64 counts as one). A flood of
// connections from one address waits in its own queue instead of filling the event loop with
// handshakes, so everyone else, /readyz included, is served as before. Trusted proxies are exempt:
// every visitor behind them shares their address, and the limits apply to X-Forwarded-For instead.

/** Past this many connections waiting per address, new ones are closed at once. */
const QUEUE_PER_ADDRESS = 4096;

export function admittingListener(
  https: TlsServer,
  perAddress: number,
  trusted: TrustedProxies,
): Server {
  const inFlight = new Map<string, number>();
  const waiting = new Map<string, Socket[]>();
  /** `address:port` of each connection in its handshake → its peer key. */
  const handshaking = new Map<string, string>();
  const endpoint = (socket: Socket | TLSSocket) => `${socket.remoteAddress}:${socket.remotePort}`;

  function admit(socket: Socket, peer: string): void {
    inFlight.set(peer, (inFlight.get(peer) ?? 0) + 1);
    handshaking.set(endpoint(socket), peer);
    https.emit('connection', socket);
  }

  function finished(key: string): void {
    const peer = handshaking.get(key);
    if (peer === undefined) return;
    handshaking.delete(key);
    const left = (inFlight.get(peer) ?? 1) - 1;
    if (left > 0) inFlight.set(peer, left);
    else inFlight.delete(peer);
    const queue = waiting.get(peer);
    while (queue && queue.length > 0 && (inFlight.get(peer) ?? 0) < perAddress) {
      const next = queue.shift()!;
      if (!next.destroyed) admit(next, peer);
    }
    if (queue?.length === 0) waiting.delete(peer);
  }

  https.on('secureConnection', (socket: TLSSocket) => finished(endpoint(socket)));
  https.on('tlsClientError', (_error: Error, socket: TLSSocket) => finished(endpoint(socket)));

  // Paused until admitted, so that nothing is read before TLS takes the connection over.
  return createServer({ pauseOnConnect: true }, (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (trusted.has(address)) {
      https.emit('connection', socket);
      return;
    }
    const peer = addressSubject(address);
    const key = endpoint(socket);
    socket.once('close', () => {
      finished(key);
      const queue = waiting.get(peer);
      const index = queue?.indexOf(socket) ?? -1;
      if (index >= 0) queue!.splice(index, 1);
    });
    socket.on('error', () => undefined); // a reset while waiting; TLS reports its own errors
    if ((inFlight.get(peer) ?? 0) < perAddress) {
      admit(socket, peer);
      return;
    }
    const queue = waiting.get(peer) ?? [];
    if (queue.length >= QUEUE_PER_ADDRESS) {
      socket.destroy();
      return;
    }
    queue.push(socket);
    waiting.set(peer, queue);
  });
}
