import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExtendedError, Socket } from 'socket.io';
import type { LimitId } from '../domain/rateLimits/limits.ts';
import { refusalError, type Refusal } from '../domain/rateLimits/rateLimits.ts';
import { addressSubject } from '../domain/rateLimits/subjects.ts';
import { clientAddress, trustedProxies } from '../domain/clientAddress.ts';
import type { Services } from '../services.ts';
import type { Ack } from '../shared/protocol.ts';

// Visitor limits on the /visitor namespace (issue 12): connections at the handshake, and the events a
// script could flood. Refusals are answered (connect_error data, an HTTP 429, or the event's ack),
// counted for admins, and never logged one by one.

/** Which limit each visitor event counts against; other events are not limited. */
const EVENT_LIMITS: Record<string, LimitId> = {
  'chat:start': 'chatStart',
  'message:send': 'message',
  typing: 'typing',
};

/** Past this many blocked addresses (a botnet), the gate stops remembering new ones. */
const GATE_MAX_ADDRESSES = 100_000;

interface LimitedSocketData {
  /** The client's address (trusted proxies applied), counted for every event of this socket. */
  limitAddress: string;
  limitVisitorId: string | null;
}

type Middleware = (socket: Socket, next: (error?: ExtendedError) => void) => void;
type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface ConnectionLimits {
  /** /visitor namespace middleware, before authentication. */
  namespace: Middleware;
  /** Engine.IO middleware: refuses new connections from an address already over its limit. */
  engine: EngineMiddleware;
}

/**
 * Every connection attempt to /visitor counts against its address (and its visitor, when the token
 * is valid), so a flood of bad tokens is limited too. A refused handshake gets `connect_error` with
 * `{ id: 'too_many_requests', retryAfter }` and its Engine.IO connection is closed at once. Until
 * that retry-after has passed, further new connections from the address are refused before any
 * Engine.IO session exists, with a plain HTTP 429 and Retry-After: a flood costs one request per
 * socket and no store round trip. The console (Parley's own origin) is never refused this early.
 */
export function limitVisitorConnections(services: Services): ConnectionLimits {
  const trusted = trustedProxies(services.config.env.PARLEY_TRUSTED_PROXIES);
  const blockedUntil = new Map<string, number>();

  function block(address: string, retryAfter: number): void {
    const now = Date.now();
    if (blockedUntil.size >= GATE_MAX_ADDRESSES) {
      for (const [key, until] of blockedUntil) if (until <= now) blockedUntil.delete(key);
      if (blockedUntil.size >= GATE_MAX_ADDRESSES) return;
    }
    blockedUntil.set(addressSubject(address), now + retryAfter * 1000);
  }

  const namespace: Middleware = (socket, next) => {
    const address = clientAddress(
      socket.handshake.address,
      socket.handshake.headers['x-forwarded-for'],
      trusted,
    );
    const visitorId = services.visitorTokens.verify(
      (socket.handshake.auth as { token?: unknown }).token,
    );
    const data: LimitedSocketData = { limitAddress: address, limitVisitorId: visitorId };
    Object.assign(socket.data as object, data);
    void services.rateLimits.check('connect', { address, visitorId }).then((refusal) => {
      if (!refusal) {
        next();
        return;
      }
      if (refusal.dimensions.includes('address')) block(address, refusal.retryAfter);
      const error = refusalError(refusal);
      next(
        Object.assign(new Error(error.message), {
          data: { id: error.id, retryAfter: refusal.retryAfter },
        }),
      );
      // Socket.IO writes the refusal on the next tick; closing waits for it to be sent.
      setImmediate(() => socket.conn.close());
    });
  };

  const engine: EngineMiddleware = (req, res, next) => {
    if (blockedUntil.size === 0 || req.headers.origin === services.config.publicOrigin) {
      next();
      return;
    }
    if (new URL(req.url ?? '/', 'https://parley.invalid').searchParams.has('sid')) {
      next(); // an existing connection's request: never cut off here
      return;
    }
    const address = clientAddress(
      req.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      trusted,
    );
    const key = addressSubject(address);
    const until = blockedUntil.get(key) ?? 0;
    const now = Date.now();
    if (until <= now) {
      if (until > 0) blockedUntil.delete(key);
      next();
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((until - now) / 1000));
    services.rateLimits.countRefusal('connect', address, ['address']);
    const error = refusalError({ limit: 'connect', dimensions: ['address'], retryAfter });
    const body = JSON.stringify({ error: { id: error.id, message: error.message, retryAfter } });
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'Retry-After': String(retryAfter),
      Connection: 'close',
    };
    if (req.headers.upgrade === undefined) {
      res.writeHead(429, headers);
      res.end(body);
      return;
    }
    // A WebSocket upgrade: Engine.IO's stand-in response writes nothing, so answer on the socket.
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    req.socket.end(`HTTP/1.1 429 Too Many Requests\r\n${head.join('')}\r\n${body}`);
  };

  return { namespace, engine };
}

function refusalAck(refusal: Refusal): Ack<never> {
  const error = refusalError(refusal);
  return {
    ok: false,
    error: { id: error.id, message: error.message, retryAfter: refusal.retryAfter },
  };
}

/**
 * Per-socket middleware: the limited events are counted before their payload is even validated.
 * Checks run one after another, so the events that pass keep the order they were sent in; and once
 * one is refused, the same socket's next ones of that limit are refused until its retry-after has
 * passed, even if the window refilled meanwhile: message 7 never overtakes a refused message 6,
 * which the widget sends again, in order, after the wait.
 */
export function limitVisitorEvents(socket: Socket, services: Services): void {
  const { limitAddress = 'unknown', limitVisitorId = null } =
    socket.data as Partial<LimitedSocketData>;
  const refusedUntil = new Map<LimitId, { until: number; refusal: Refusal }>();
  let previous: Promise<void> = Promise.resolve();
  socket.use((packet, next) => {
    const [event, ...args] = packet as [string, ...unknown[]];
    const limit = EVENT_LIMITS[event];
    if (!limit) {
      next();
      return;
    }
    const refuse = (refusal: Refusal) => {
      const ack = args.at(-1);
      if (typeof ack === 'function') (ack as (reply: Ack<never>) => void)(refusalAck(refusal));
    };
    previous = previous
      .then(async () => {
        const held = refusedUntil.get(limit);
        const now = Date.now();
        if (held && held.until > now) {
          services.rateLimits.countRefusal(limit, limitAddress, held.refusal.dimensions);
          refuse({
            ...held.refusal,
            retryAfter: Math.max(1, Math.ceil((held.until - now) / 1000)),
          });
          return;
        }
        const refusal = await services.rateLimits.check(limit, {
          address: limitAddress,
          visitorId: limitVisitorId,
        });
        if (!refusal) {
          next();
          return;
        }
        refusedUntil.set(limit, { until: Date.now() + refusal.retryAfter * 1000, refusal });
        refuse(refusal);
      })
      .catch(() => undefined); // one failed packet never holds up the next
  });
}
