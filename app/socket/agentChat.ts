import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import {
  agentChatService,
  type Agent,
  type AgentChatEvents,
  type AgentChatService,
} from '../domain/agentChat/agentChat.ts';
import { clientIdSchema } from '../domain/masking/identifiers.ts';
import { describeError } from '../log.ts';
import type { Services } from '../services.ts';
import { agentRoom } from './delivery.ts';
import { on, type HandlerOptions } from './handle.ts';
import { emptySchema } from './schemas.ts';

// Agent-to-agent chat (issue 14) on /agent: every event needs chats.agent_chat. Delivery goes
// through rooms only (`agent:<id>` for a direct conversation, `team:dept:<id>` for a department
// room), so a Redis adapter can carry it between nodes.

export const teamRoom = (departmentId: number) => `team:dept:${departmentId}`;

const id = z.number().int().positive();
export const agentChatSchemas = {
  open: z.strictObject({ agentId: id }),
  sync: z.strictObject({ conversationId: id, afterSeq: z.number().int().min(0) }),
  send: (maxChars: number) =>
    z.strictObject({
      conversationId: id,
      clientId: clientIdSchema,
      body: z
        .string()
        .trim()
        .min(1, 'a message cannot be empty')
        .max(maxChars, `a message can be at most ${maxChars} characters`),
    }),
  read: z.strictObject({ conversationId: id, seq: z.number().int().min(0) }),
};

/** Delivers the agent-chat domain's events to the rooms of the agents in each conversation. */
export function agentChatDelivery(agents: Namespace): AgentChatEvents {
  return {
    messageAdded(conversation, message) {
      const rooms =
        conversation.kind === 'department'
          ? [teamRoom(conversation.department_id!)]
          : [agentRoom(conversation.agent_low!), agentRoom(conversation.agent_high!)];
      agents.to(rooms).emit('agentChat:message', message);
    },
    conversationOpened(agentId, view) {
      agents.to(agentRoom(agentId)).emit('agentChat:conversation', view);
    },
  };
}

// One service per running Parley, as the secure-form relay (its delivery needs the namespace).
const servicesOf = new WeakMap<Services, AgentChatService>();

function serviceFor(services: Services, agents: Namespace): AgentChatService {
  let service = servicesOf.get(services);
  if (!service) {
    service = agentChatService(services.db, agentChatDelivery(agents), services.audit);
    servicesOf.set(services, service);
  }
  return service;
}

/** Puts the socket in the rooms of the departments whose room it may use now, and no others. */
async function joinTeamRooms(socket: Socket, service: AgentChatService, me: Agent) {
  const rooms = (await service.rooms(me)).map(teamRoom);
  for (const room of socket.rooms)
    if (room.startsWith('team:dept:') && !rooms.includes(room)) await socket.leave(room);
  await socket.join(rooms);
}

export function agentChatEvents(
  socket: Socket,
  options: HandlerOptions,
  who: () => Agent,
  services: Services,
  agents: Namespace,
): void {
  const service = serviceFor(services, agents);
  if (who().grants.holds('chats.agent_chat')) {
    joinTeamRooms(socket, service, who()).catch((error: unknown) =>
      options.log.warn({ err: describeError(error) }, 'joining department rooms failed'),
    );
  }
  const maxChars = services.config.env.PARLEY_MESSAGE_MAX_CHARS;

  on(socket, 'agentChat:list', 'chats.agent_chat', emptySchema, options, async () => {
    const conversations = await service.list(who());
    // Membership is read again: after the ack the socket is in exactly its rooms.
    await joinTeamRooms(socket, service, who());
    return { conversations };
  });
  on(socket, 'agentChat:colleagues', 'chats.agent_chat', emptySchema, options, async () => ({
    colleagues: await service.colleagues(who()),
  }));
  on(
    socket,
    'agentChat:open',
    'chats.agent_chat',
    agentChatSchemas.open,
    options,
    async (input) => ({
      conversation: await service.open(who(), input.agentId),
    }),
  );
  on(socket, 'agentChat:sync', 'chats.agent_chat', agentChatSchemas.sync, options, (input) =>
    service.sync(who(), input.conversationId, input.afterSeq),
  );
  on(
    socket,
    'agentChat:send',
    'chats.agent_chat',
    agentChatSchemas.send(maxChars),
    options,
    async (input) => ({
      message: await service.send(who(), input.conversationId, input.clientId, input.body),
    }),
  );
  on(
    socket,
    'agentChat:read',
    'chats.agent_chat',
    agentChatSchemas.read,
    options,
    async (input) => {
      await service.read(who(), input.conversationId, input.seq);
      return {};
    },
  );
}
