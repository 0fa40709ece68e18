import type { ExtendedError, Socket } from 'socket.io';
import type { LimitId } from '../domain/rateLimits/limits.ts';
import { refusalError, type Refusal } from '../domain/rateLimits/rateLimits.ts';
import { clientAddress, trustedProxies } from '../http/clientAddress.ts';
import type { Services } from '../http/context.ts';
import type { Ack } from '../shared/protocol.ts';

// Visitor limits on the /visitor namespace (issue 12): connections at the handshake, and the events a
// script could flood. Refusals are answered (connect_error data, or the event's ack), counted for
// admins, and never logged one by one.

/** Which limit each visitor event counts against; other events are not limited. */
const EVENT_LIMITS: Record<string, LimitId> = {
  'chat:start': 'chatStart',
  'message:send': 'message',
  typing: 'typing',
};

interface LimitedSocketData {
  /** The client's address (trusted proxies applied), counted for every event of this socket. */
  limitAddress: string;
  limitVisitorId: string | null;
}

const dataOf = (socket: Socket) => socket.data as Partial<LimitedSocketData>;

/**
 * Namespace middleware, before authentication: every connection attempt counts against its address
 * (and its visitor, when the token is valid), so a flood of bad tokens is limited too. A refused
 * handshake gets `connect_error` with `{ id: 'too_many_requests', retryAfter }`, and its Engine.IO
 * connection is closed at once instead of idling until the connect timeout.
 */
export function limitVisitorConnections(services: Services) {
  const trusted = trustedProxies(services.config.env.PARLEY_TRUSTED_PROXIES);
  return (socket: Socket, next: (error?: ExtendedError) => void) => {
    const address = clientAddress(
      socket.handshake.address,
      socket.handshake.headers['x-forwarded-for'],
      trusted,
    );
    const visitorId = services.visitorTokens.verify(
      (socket.handshake.auth as { token?: unknown }).token,
    );
    Object.assign(socket.data as object, { limitAddress: address, limitVisitorId: visitorId });
    void services.rateLimits.check('connect', { address, visitorId }).then((refusal) => {
      if (!refusal) {
        next();
        return;
      }
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
 * Checks run one after another, so the events that pass keep the order they were sent in.
 */
export function limitVisitorEvents(socket: Socket, services: Services): void {
  let previous: Promise<void> = Promise.resolve();
  socket.use((packet, next) => {
    const [event, ...args] = packet as [string, ...unknown[]];
    const limit = EVENT_LIMITS[event];
    if (!limit) {
      next();
      return;
    }
    const { limitAddress = 'unknown', limitVisitorId = null } = dataOf(socket);
    previous = previous.then(async () => {
      const refusal = await services.rateLimits.check(limit, {
        address: limitAddress,
        visitorId: limitVisitorId,
      });
      if (!refusal) {
        next();
        return;
      }
      const ack = args.at(-1);
      if (typeof ack === 'function') (ack as (reply: Ack<never>) => void)(refusalAck(refusal));
    });
    previous = previous.catch(() => undefined); // one failed packet never holds up the next
  });
}
