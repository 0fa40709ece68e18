import type { Namespace } from 'socket.io';
import type { ChatEvents, Participants } from '../domain/chats/participants.ts';
import type { Grants } from '../domain/permissions/policy.ts';
import type { RoutingEvents } from '../domain/routing/routing.ts';

// Rooms: each visitor's sockets join `visitor:<id>`, each agent's `agent:<id>`; agents who may
// accept chats join `queue:all` (every department) or `queue:dept:<id>` per department they cover.
export const visitorRoom = (visitorId: string) => `visitor:${visitorId}`;
export const agentRoom = (agentId: number) => `agent:${agentId}`;
export const sessionRoom = (sessionHash: Buffer) => `session:${sessionHash.toString('hex')}`;
export const AGENTS_ROOM = 'agents';
/** The agents in a chat: its owner, agents who joined, monitors (issue 14). */
export const chatRoom = (chatId: number) => `chat:${chatId}`;

/** The agent side of a chat: its room, and its owner's sockets in case one has not joined it yet. */
export const agentsOfChat = (chat: Participants): string[] =>
  chat.agent_id === null ? [chatRoom(chat.id)] : [chatRoom(chat.id), agentRoom(chat.agent_id)];
export const QUEUE_ALL_ROOM = 'queue:all';
export const queueRoom = (departmentId: number) => `queue:dept:${departmentId}`;

/** The queue rooms an agent's socket joins, from the scope of their chats.accept grants. */
export function queueRooms(grants: Grants): string[] {
  if (!grants.holds('chats.accept')) return [];
  const scope = grants.scopeOf('chats.accept');
  // Chats with no department are covered only by an unscoped grant, so they go to `queue:all` alone.
  return scope.all ? [QUEUE_ALL_ROOM] : [...new Set(scope.departmentIds)].map(queueRoom);
}

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
    queueChanged(queue, views, departmentId) {
      // One department's slice, to the rooms of the agents who may accept from it.
      const rooms =
        departmentId === null ? [QUEUE_ALL_ROOM] : [QUEUE_ALL_ROOM, queueRoom(departmentId)];
      agents.to(rooms).emit('queue:updated', queue, { departmentId });
      for (const { chat, view } of views)
        visitors.to(visitorRoom(chat.visitor_id)).emit('chat:updated', view);
    },
  };
}

/** Offers reach the offered agent's consoles through their agent room. */
export function routingDelivery(agents: Namespace): RoutingEvents {
  return {
    offered: (agentId, offer) => void agents.to(agentRoom(agentId)).emit('offer:new', offer),
    offerClosed: (agentId, closed) =>
      void agents.to(agentRoom(agentId)).emit('offer:closed', closed),
  };
}
