import type { Namespace, Socket } from 'socket.io';
import type { Participant } from '../domain/chats/participants.ts';
import { errors } from '../domain/errors.ts';
import { SESSION_COOKIE } from '../domain/agentSessions.ts';
import { clientAddress, trustedProxies } from '../domain/clientAddress.ts';
import {
  endSessionIfDisallowed,
  sweepLiveSessions,
  type SessionUse,
} from '../domain/ipRules/enforce.ts';
import type { Services } from '../services.ts';
import type { AgentRow } from '../storage/agents.ts';
import { describeError } from '../log.ts';
import { loadGrants, meets, type Grants } from '../domain/permissions/policy.ts';
import { passwordStatus } from '../domain/passwordPolicy/status.ts';
import { agentRoom, queueRooms, sessionRoom, visitorRoom } from './delivery.ts';
import { on, rejectUnknownEvents, type HandlerOptions } from './handle.ts';
import { agentSecureFormEvents } from './secureForm.ts';
import { agentChatEvents } from './agentChat.ts';
import { agentChatActionEvents } from './chatActions.ts';
import { agentRoutingEvents } from './routing.ts';
import { agentPresenceEvents } from './presence.ts';
import { chatRefSchema, emptySchema, sendSchema, syncSchema, typingSchema } from './schemas.ts';

const RECHECK_MS = 60_000;

interface AgentSocketData {
  agent: AgentRow;
  grants: Grants;
  sessionId: string;
  checkedAt: number;
  /** The session, and the address this socket came from (for the IP rules). */
  use: SessionUse;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name)
      return decodeURIComponent(part.slice(index + 1).trim());
  }
  return undefined;
}

const refusal = (id: string, message: string) =>
  Object.assign(new Error(message), { data: { id } });

/** /agent: authenticated at the handshake with the same server-side session as HTTP. */
export function agentNamespace(ns: Namespace, visitors: Namespace, services: Services): void {
  const trusted = trustedProxies(services.config.env.PARLEY_TRUSTED_PROXIES);
  // A changed IP rule is applied to every live socket at once, not at its next event.
  services.ipRules.onChange(() => {
    const live = [...ns.sockets.values()].map((s) => (s.data as AgentSocketData).use);
    sweepLiveSessions(services, live.filter(Boolean)).catch((error: unknown) =>
      services.log.error({ err: describeError(error) }, 'IP rule sweep failed'),
    );
  });
  ns.use((socket, next) => {
    const origin = socket.handshake.headers.origin;
    if (origin !== undefined && origin !== services.config.publicOrigin) {
      next(refusal('origin_not_allowed', errors.originNotAllowed().message));
      return;
    }
    const sessionId = readCookie(socket.handshake.headers.cookie, SESSION_COOKIE);
    const admit = async () => {
      const signedIn = await services.sessions.resolve(sessionId);
      if (!signedIn || !sessionId) {
        next(refusal('unauthenticated', errors.unauthenticated().message));
        return;
      }
      const use: SessionUse = {
        ...signedIn,
        ip: clientAddress(
          socket.handshake.address,
          socket.handshake.headers['x-forwarded-for'],
          trusted,
        ),
        userAgent: socket.handshake.headers['user-agent'] ?? '',
        via: 'socket',
      };
      if (!(await endSessionIfDisallowed(services, use)).allowed) {
        next(refusal('ip_not_allowed', errors.ipNotAllowed(use.ip).message));
        return;
      }
      if ((await passwordStatus(services.db, signedIn.agent)) !== 'ok') {
        next(refusal('password_change_required', errors.passwordChangeRequired().message));
        return;
      }
      const grants = await loadGrants(services.db, signedIn.agent);
      const data = socket.data as AgentSocketData;
      Object.assign(data, { agent: signedIn.agent, grants, sessionId, checkedAt: Date.now(), use });
      await socket.join([
        agentRoom(signedIn.agent.id),
        sessionRoom(signedIn.sessionHash),
        // Only agents who may accept chats watch the queue: the departments their grant covers.
        ...queueRooms(grants),
      ]);
      next();
    };
    admit().catch(() => next(refusal('unavailable', errors.unavailable('Sign-in').message)));
  });

  ns.on('connection', (socket: Socket) => {
    const data = socket.data as AgentSocketData;
    const agent = data.agent;
    const who = (): Participant & { kind: 'agent' } => ({
      kind: 'agent',
      agent,
      grants: data.grants,
      // The socket layer has no request context: the audit log gets the handshake's address.
      source: { ip: data.use.ip, userAgent: data.use.userAgent },
    });
    const options: HandlerOptions = {
      namespace: '/agent',
      permit(requirement) {
        if (!meets(data.grants, requirement)) throw errors.missingPermission(requirement);
      },
      log: services.log.child({ agentId: agent.id }),
      maxPayloadBytes: services.config.env.PARLEY_SOCKET_PAYLOAD_MAX_BYTES,
      // A socket outlives the HTTP request that opened it: re-check the session now and then.
      async guard() {
        if (Date.now() - data.checkedAt < RECHECK_MS) return;
        const current = await services.sessions.resolve(data.sessionId);
        if (!current) {
          socket.emit('session:ended', {
            id: 'unauthenticated',
            message: errors.unauthenticated().message,
          });
          socket.disconnect(true);
          throw errors.unauthenticated();
        }
        // Ends the session (and this socket) if the rules no longer allow this address.
        if (
          !(await endSessionIfDisallowed(services, { ...data.use, agent: current.agent })).allowed
        )
          throw errors.ipNotAllowed(data.use.ip);
        data.grants = await loadGrants(services.db, agent);
        data.checkedAt = Date.now();
      },
    };
    const chats = services.chats;

    on(socket, 'queue:list', 'chats.accept', emptySchema, options, async () => ({
      queue: await chats.queue(who()),
    }));
    on(socket, 'chat:mine', 'signedIn', emptySchema, options, async () => ({
      chats: await chats.listForAgent(agent),
    }));
    on(socket, 'chat:accept', 'chats.accept', chatRefSchema, options, async (input) => ({
      chat: await chats.accept(who(), input.chatId),
    }));
    on(socket, 'chat:sync', 'signedIn', syncSchema, options, (input) =>
      chats.sync(who(), input.chatId, input.afterSeq),
    );
    on(
      socket,
      'message:send',
      'signedIn',
      sendSchema(services.config.env.PARLEY_MESSAGE_MAX_CHARS),
      options,
      async (input) => ({
        message: await chats.send(who(), input.chatId, input.clientId, input.body),
      }),
    );
    on(socket, 'typing', 'signedIn', typingSchema, options, async (input) => {
      const chat = await chats.authorize(who(), input.chatId);
      // A joined agent is seen by the visitor, so is their typing; a monitor never is.
      if (await services.chatActions.speaksToVisitor(chat, agent.id)) {
        visitors
          .to(visitorRoom(chat.visitor_id))
          .emit('typing', { chatId: chat.id, author: 'agent', typing: input.typing });
      }
      return {};
    });
    on(socket, 'chat:end', 'signedIn', chatRefSchema, options, async (input) => ({
      chat: await chats.end(who(), input.chatId),
    }));
    agentSecureFormEvents(socket, options, who, services, visitors);
    agentChatEvents(socket, options, who, services, ns);
    agentChatActionEvents(socket, options, who, services);
    agentRoutingEvents(socket, options, who, services);
    agentPresenceEvents(socket, options, who, services, data.use.sessionHash);
    rejectUnknownEvents(socket);
  });
}
