import type { Namespace } from 'socket.io';
import { mayAcceptFrom, type ChatEvents, type Participants } from '../domain/chats/participants.ts';
import type { Grants } from '../domain/permissions/policy.ts';

// Rooms: each visitor's sockets join `visitor:<id>`, each agent's `agent:<id>`, every agent `agents`.
export const visitorRoom = (visitorId: string) => `visitor:${visitorId}`;
export const agentRoom = (agentId: number) => `agent:${agentId}`;
export const sessionRoom = (sessionHash: Buffer) => `session:${sessionHash.toString('hex')}`;
export const AGENTS_ROOM = 'agents';

/** Delivers the chat domain's events to the sockets of the chat's participants. */
export function socketDelivery(visitors: Namespace, agents: Namespace): ChatEvents {
  const toParticipants = (chat: Participants, emit: (room: string, ns: Namespace) => void) => {
    emit(visitorRoom(chat.visitor_id), visitors);
    if (chat.agent_id !== null) emit(agentRoom(chat.agent_id), agents);
  };
  return {
    messageAdded(chat, message) {
      toParticipants(chat, (room, ns) => ns.to(room).emit('message:new', message));
    },
    chatChanged(chat, view) {
      toParticipants(chat, (room, ns) => ns.to(room).emit('chat:updated', view));
    },
    queueChanged(queue, views) {
      // Each agent sees the part of the queue their grants let them accept.
      for (const socket of agents.sockets.values()) {
        const grants = (socket.data as { grants?: Grants }).grants;
        if (!grants || !socket.rooms.has(AGENTS_ROOM)) continue;
        socket.emit(
          'queue:updated',
          queue.filter((entry) => mayAcceptFrom(grants, entry)),
        );
      }
      for (const { chat, view } of views)
        visitors.to(visitorRoom(chat.visitor_id)).emit('chat:updated', view);
    },
  };
}
