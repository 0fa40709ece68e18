import type { Namespace } from 'socket.io';
import type { AvailabilityEvents } from '../domain/availability/availability.ts';
import type { ChatEvents } from '../domain/chats/participants.ts';
import type { Grants } from '../domain/permissions/policy.ts';
import { colleagueFilter } from '../domain/availability/board.ts';
import { paced } from '../domain/pacing.ts';
import { agentRoom } from './delivery.ts';

// Rooms for availability (issue 14). A supervisor's sockets join the board rooms their
// chats.monitor grant covers; an agent's the colleague rooms of their departments. A status change
// goes to the rooms that cover that agent, so a Redis adapter can carry it between nodes unchanged.

/** Every socket that shows the live board: hints that chats or the queue changed. */
export const BOARD_ROOM = 'board';
/** Every socket that shows the Agents panel. */
export const COLLEAGUES_ROOM = 'colleagues';
const boardAll = 'board:all';
const boardDepartment = (id: number) => `board:dept:${id}`;
const boardAgent = (id: number) => `board:agent:${id}`;
const colleaguesDepartment = (id: number) => `colleagues:dept:${id}`;
const colleaguesNone = 'colleagues:none';
/** At most one "changed" hint per room in this interval. */
export const HINT_PACE_MS = 500;

/** The rooms a socket joins for the board and the Agents panel, from its grants. */
export function presenceRooms(grants: Grants): string[] {
  const rooms: string[] = [];
  if (grants.holds('chats.monitor')) {
    const scope = grants.scopeOf('chats.monitor');
    rooms.push(BOARD_ROOM);
    if (scope.all) rooms.push(boardAll);
    rooms.push(...scope.departmentIds.map(boardDepartment), ...scope.agentIds.map(boardAgent));
  }
  if (grants.holds('chats.accept') || grants.holds('chats.agent_chat')) {
    const filter = colleagueFilter(grants);
    rooms.push(COLLEAGUES_ROOM, ...filter.departmentIds.map(colleaguesDepartment));
    if (filter.noDepartment) rooms.push(colleaguesNone);
  }
  return rooms;
}

export function presenceDelivery(agents: Namespace): AvailabilityEvents {
  return {
    statusChanged(change, presence, departmentIds) {
      agents.to(agentRoom(change.agentId)).emit('presence:mine', presence);
      agents
        .to([boardAll, boardAgent(change.agentId), ...departmentIds.map(boardDepartment)])
        .emit('board:changed');
      agents
        .to(departmentIds.length > 0 ? departmentIds.map(colleaguesDepartment) : [colleaguesNone])
        .emit('colleagues:changed');
    },
  };
}

/**
 * The chat domain's events, plus a hint to the boards and Agents panels when a chat is queued,
 * accepted or ended (loads and waiting counts changed; each socket fetches what its grants cover).
 */
export function withBoardHints(inner: ChatEvents, agents: Namespace): ChatEvents {
  // Paced: every board and Agents panel refetches on a hint, so a burst of chats sends one.
  const hint = paced(
    HINT_PACE_MS,
    (room: typeof BOARD_ROOM | typeof COLLEAGUES_ROOM) => {
      agents.to(room).emit(room === BOARD_ROOM ? 'board:changed' : 'colleagues:changed');
      return Promise.resolve();
    },
    () => undefined, // an emit does not fail
  );
  const hints = () => {
    void hint(BOARD_ROOM);
    void hint(COLLEAGUES_ROOM);
  };
  return {
    ...inner,
    chatChanged(chat, view) {
      inner.chatChanged(chat, view);
      hints();
    },
    queueChanged(...args) {
      inner.queueChanged(...args);
      hints();
    },
  };
}
