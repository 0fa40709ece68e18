import type { Namespace, Socket } from 'socket.io';
import { errors } from '../domain/errors.ts';
import { meets } from '../domain/permissions/policy.ts';
import type { Services } from '../services.ts';
import type { Participant } from '../domain/chats/participants.ts';
import { agentsOfChat, visitorRoom } from './delivery.ts';
import { on, rejectUnknownEvents, type HandlerOptions } from './handle.ts';
import { visitorSecureFormEvents } from './secureForm.ts';
import { limitVisitorEvents } from './visitorLimits.ts';
import {
  chatRefSchema,
  emptySchema,
  sendSchema,
  startChatSchema,
  syncSchema,
  typingSchema,
} from './schemas.ts';

/** /visitor: authenticated at the handshake by the signed visitor token; a visitor reaches only their chats. */
export function visitorNamespace(ns: Namespace, agents: Namespace, services: Services): void {
  ns.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    const visitorId = services.visitorTokens.verify(token);
    if (!visitorId) {
      next(
        Object.assign(new Error(errors.unauthenticated().message), {
          data: { id: 'unauthenticated' },
        }),
      );
      return;
    }
    (socket.data as { visitorId: string }).visitorId = visitorId;
    next();
  });

  ns.on('connection', (socket: Socket) => {
    const visitorId = (socket.data as { visitorId: string }).visitorId;
    const who: Participant = { kind: 'visitor', visitorId };
    void socket.join(visitorRoom(visitorId));
    limitVisitorEvents(socket, services);
    const options: HandlerOptions = {
      namespace: '/visitor',
      permit(requirement) {
        if (!meets(null, requirement, true)) throw errors.missingPermission(requirement);
      },
      log: services.log.child({ visitorId }),
      maxPayloadBytes: services.config.env.PARLEY_SOCKET_PAYLOAD_MAX_BYTES,
    };
    const chats = services.chats;

    on(socket, 'chat:start', 'visitor', startChatSchema, options, async (input) => ({
      chat: await chats.start(visitorId, input),
    }));
    on(socket, 'chat:list', 'visitor', emptySchema, options, async () => ({
      chats: await chats.listForVisitor(visitorId),
    }));
    on(socket, 'chat:sync', 'visitor', syncSchema, options, (input) =>
      chats.sync(who, input.chatId, input.afterSeq),
    );
    on(
      socket,
      'message:send',
      'visitor',
      sendSchema(services.config.env.PARLEY_MESSAGE_MAX_CHARS),
      options,
      async (input) => ({
        message: await chats.send(who, input.chatId, input.clientId, input.body),
      }),
    );
    on(socket, 'typing', 'visitor', typingSchema, options, async (input) => {
      const chat = await chats.authorize(who, input.chatId);
      if (chat.status === 'active' && chat.agent_id !== null) {
        agents
          .to(agentsOfChat(chat))
          .emit('typing', { chatId: chat.id, author: 'visitor', typing: input.typing });
      }
      return {};
    });
    on(socket, 'chat:end', 'visitor', chatRefSchema, options, async (input) => ({
      chat: await chats.end(who, input.chatId),
    }));
    visitorSecureFormEvents(socket, options, visitorId, services, agents);
    rejectUnknownEvents(socket);
  });
}
