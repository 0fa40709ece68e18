import type { Namespace } from 'socket.io';
import { mayAcceptFrom, type ChatEvents, type Participants } from '../domain/chats/participants.ts';
import type { Grants } from '../domain/permissions/policy.ts';

// Rooms: each visitor's sockets join `visitor:<id>`, each agent's `agent:<id>`, every agent `agents`.
export const visitorRoom = (visitorId: string) => `visitor:${visitorId}`;
export const agentRoom = (agentId: number) => `agent:${agentId}`;
export const sessionRoom = (sessionHash: Buffer) => `session:${sessionHash.toString('hex')}`;
export const AGENTS_ROOM = 'agents';
/** The agents in a chat: its owner, agents who joined, monitors (issue 14). */
export const chatRoom = (chatId: number) => `chat:${chatId}`;

/** The agent side of a chat: its room, and its owner's sockets in case one has not joined it yet. */
export const agentsOfChat = (chat: Participants): string[] =>
  chat.agent_id === null ? [chatRoom(chat.id)] : [chatRoom(chat.id), agentRoom(chat.agent_id)];

/** Delivers the chat domain's events to the sockets of the chat's participants. */
export function socketDelivery(visitors: Namespace, agents: Namespace): ChatEvents {
  return {
    messageAdded(chat, message) {
      // An internal message (a whisper, a transfer note) never goes to the visitor.
      if (!message.internal) visitors.to(visitorRoom(chat.visitor_id)).emit('message:new', message);
      agents.to(agentsOfChat(chat)).emit('message:new', message);
    },
    chatChanged(chat, view) {
      visitors.to(visitorRoom(chat.visitor_id)).emit('chat:updated', view);
      if (chat.status === 'active' && chat.agent_id !== null)
        agents.in(agentRoom(chat.agent_id)).socketsJoin(chatRoom(chat.id));
      agents.to(agentsOfChat(chat)).emit('chat:updated', view);
      if (chat.status === 'ended') agents.in(chatRoom(chat.id)).socketsLeave(chatRoom(chat.id));
    },
    followChat(chatId, agentId) {
      agents.in(agentRoom(agentId)).socketsJoin(chatRoom(chatId));
    },
    unfollowChat(chatId, agentId) {
      agents.in(agentRoom(agentId)).socketsLeave(chatRoom(chatId));
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
