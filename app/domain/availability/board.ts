import type { AgentAvailability, BoardView } from '../../shared/presence.ts';
import {
  presenceBoardRepo,
  type AgentFilter,
  type AvailabilityRow,
} from '../../storage/presenceBoard.ts';
import type { Store } from '../../storage/store.ts';
import type { Grants } from '../permissions/policy.ts';

// Who sees whose availability. The live board (chats.monitor): the agents and waiting chats of
// the departments (or groups) the grant covers. The Agents panel (chats.accept or
// chats.agent_chat): colleagues who share a department; agents with none see the others with none.

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

export async function liveBoard(db: Store, grants: Grants): Promise<BoardView> {
  const scope = grants.scopeOf('chats.monitor');
  const repo = presenceBoardRepo(db);
  const [agents, waiting] = await Promise.all([
    repo.agents(scope),
    // A chat with no department is covered only by an unscoped grant (as for accepting it).
    repo.waiting(scope.all ? null : scope.departmentIds),
  ]);
  return {
    agents: agents.map(present),
    waiting: waiting.map((row) => ({
      departmentId: row.department_id,
      departmentName: row.department_name,
      waiting: row.waiting,
      oldestSince: row.oldest ? row.oldest.toISOString() : null,
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
