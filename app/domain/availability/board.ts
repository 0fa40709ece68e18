import type { AgentAvailability, BoardView, FlaggedChatView } from '../../shared/presence.ts';
import {
  presenceBoardRepo,
  type AgentFilter,
  type AvailabilityRow,
  type DeclinedChatRow,
} from '../../storage/presenceBoard.ts';
import type { Store } from '../../storage/store.ts';
import type { Grants } from '../permissions/policy.ts';
import { givenUpRule } from '../routing/decide.ts';

// Who sees whose availability. The live board (chats.monitor): the agents and waiting chats of
// the departments (or groups) the grant covers, and which of those chats routing gave up on. The
// Agents panel (chats.accept or chats.agent_chat): colleagues who share a department; agents with
// none see the others with none.

function present(row: AvailabilityRow): AgentAvailability {
  return {
    agentId: row.id,
    name: row.name,
    status: row.status ?? 'offline',
    since: row.changed_at ? row.changed_at.toISOString() : null,
    activeChats: row.active_chats,
    departmentIds: row.departments,
  };
}

/**
 * The waiting chats routing gave up on, per department (null: none): refused or timed out as often
 * as their department's rule allows and offered to no one now, as routing.decorate flags them.
 */
async function flaggedByDepartment(db: Store, declined: DeclinedChatRow[]) {
  const byDepartment = new Map<number | null, FlaggedChatView[]>();
  if (declined.length === 0) return byDepartment;
  const givenUp = await givenUpRule(db);
  for (const row of declined) {
    if (!givenUp(row.department_id, row.declines)) continue;
    const list = byDepartment.get(row.department_id) ?? [];
    list.push({
      chatId: row.id,
      visitorName: row.visitor_name,
      since: row.created_at.toISOString(),
      declines: row.declines,
    });
    byDepartment.set(row.department_id, list);
  }
  return byDepartment;
}

export async function liveBoard(db: Store, grants: Grants): Promise<BoardView> {
  const scope = grants.scopeOf('chats.monitor');
  const repo = presenceBoardRepo(db);
  // A chat with no department is covered only by an unscoped grant (as for accepting it).
  const departmentIds = scope.all ? null : scope.departmentIds;
  const [agents, waiting, declined] = await Promise.all([
    repo.agents(scope),
    repo.waiting(departmentIds),
    repo.declinedWaiting(departmentIds),
  ]);
  const flagged = await flaggedByDepartment(db, declined);
  return {
    agents: agents.map(present),
    waiting: waiting.map((row) => ({
      departmentId: row.department_id,
      departmentName: row.department_name,
      waiting: row.waiting,
      oldestSince: row.oldest ? row.oldest.toISOString() : null,
      flagged: flagged.get(row.department_id) ?? [],
    })),
  };
}

export function colleagueFilter(grants: Grants): AgentFilter {
  const own = grants.departments;
  return { all: false, departmentIds: own, agentIds: [], noDepartment: own.length === 0 };
}

export async function colleagues(db: Store, grants: Grants): Promise<AgentAvailability[]> {
  const rows = await presenceBoardRepo(db).agents(colleagueFilter(grants));
  return rows.filter((row) => row.id !== grants.agentId).map(present);
}

/** Whether a supervisor's chats.monitor grant covers this agent (one of their departments). */
export async function mayMonitorAgent(db: Store, grants: Grants, agentId: number) {
  const departments = await presenceBoardRepo(db).departmentsOf(agentId);
  const resources = departments.length > 0 ? departments : [null];
  return resources.some((departmentId) =>
    grants.covers('chats.monitor', { departmentId, agentId }),
  );
}
