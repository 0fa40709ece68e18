import type { Server as HttpsServer } from 'node:https';
import { Server } from 'socket.io';
import type { Services } from '../services.ts';
import { agentNamespace } from './agentNamespace.ts';
import { agentRoom, sessionRoom } from './delivery.ts';
import { limitVisitorConnections } from './visitorLimits.ts';
import { visitorNamespace } from './visitorNamespace.ts';
import { standbyError } from '../domain/siteRole.ts';

/** The namespaces before the HTTPS server exists: the chat domain needs them to deliver events. */
export function createSocketServer(publicOrigin: string, widgetOrigins: string[]) {
  const allowed = new Set([publicOrigin, ...widgetOrigins]);
  const io = new Server({
    path: '/socket.io',
    serveClient: false,
    // Well above any valid payload: socket.io drops the connection past this; our own limit answers first.
    maxHttpBufferSize: 1_000_000,
    cors: { origin: [...allowed], credentials: false },
    // Browsers always send Origin; a page from an origin that is not allowed is refused at the handshake.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      callback(null, origin === undefined || allowed.has(origin));
    },
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  return { io, visitors: io.of('/visitor'), agents: io.of('/agent') };
}

export type SocketServer = ReturnType<typeof createSocketServer>;

export function attachSocketHandlers(
  sockets: SocketServer,
  services: Services,
  server: HttpsServer,
): void {
  // A standby site takes no connection (issue 15); the client retries and reaches the primary by name.
  const refuseOnStandby: Parameters<typeof sockets.visitors.use>[0] = (_socket, next) => {
    if (services.siteRole.role() !== 'standby') return next();
    const error = standbyError();
    // retryAfter: the widget connects again by itself (as after a visitor limit), by then perhaps
    // to the promoted site under the same name.
    next(
      Object.assign(new Error(error.message), {
        data: { id: error.id, retryable: true, retryAfter: error.retryAfter },
      }),
    );
  };
  sockets.visitors.use(refuseOnStandby);
  sockets.agents.use(refuseOnStandby);
  // Visitor connection limits (issue 12) run before the namespace's own authentication.
  const connectionLimits = limitVisitorConnections(services);
  sockets.visitors.use(connectionLimits.namespace);
  visitorNamespace(sockets.visitors, sockets.agents, services);
  agentNamespace(sockets.agents, sockets.visitors, services);
  sockets.io.attach(server);
  sockets.io.engine.use(connectionLimits.engine);
}

export function disconnectSession(
  sockets: SocketServer,
  sessionHash: Buffer,
  reason: string,
): void {
  const room = sockets.agents.in(sessionRoom(sessionHash));
  room.emit('session:ended', { id: reason, message: 'Your session has ended; sign in again.' });
  room.disconnectSockets(true);
}

/** Every socket of one agent; `ended` tells the console the session is over, otherwise it reconnects. */
export function disconnectAgent(
  sockets: SocketServer,
  agentId: number,
  reason: string,
  ended: boolean,
): void {
  const room = sockets.agents.in(agentRoom(agentId));
  if (ended)
    room.emit('session:ended', { id: reason, message: 'Your session has ended; sign in again.' });
  room.disconnectSockets(true);
}
