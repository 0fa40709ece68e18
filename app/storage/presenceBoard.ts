import type { AgentStatus } from '../shared/presence.ts';
import { knexOf } from './db.ts';
import type { ScopeFilter } from './scope.ts';
import type { Store } from './store.ts';

// What the live board and the Agents panel read: agents with status and load, waiting chats.

export interface AvailabilityRow {
  id: number;
  name: string;
  status: AgentStatus | null;
  changed_at: Date | null;
  active_chats: number;
  departments: number[];
}

export interface WaitingRow {
  department_id: number | null;
  department_name: string | null;
  waiting: number;
  oldest: Date | null;
}

/** A waiting chat no agent is being offered, whose offers were refused or timed out `declines` times. */
export interface DeclinedChatRow {
  id: number;
  department_id: number | null;
  visitor_name: string | null;
  created_at: Date;
  declines: number;
}

/** Which agents: any of these departments, these agents, or (noDepartment) those with none. */
export interface AgentFilter extends ScopeFilter {
  noDepartment?: boolean;
}

export function presenceBoardRepo(store: Store) {
  const db = knexOf(store);
  return {
    async departmentsOf(agentId: number): Promise<number[]> {
      return (
        await db('agent_departments').where({ agent_id: agentId }).pluck('department_id')
      ).map(Number);
    },

    async agents(filter: AgentFilter): Promise<AvailabilityRow[]> {
      const query = db('agents as a')
        .leftJoin('agent_presence as p', 'p.agent_id', 'a.id')
        .where('a.active', 1)
        .select(
          'a.id',
          'a.name',
          'p.status',
          'p.changed_at',
          db.raw(
            "(SELECT COUNT(*) FROM chats c WHERE c.agent_id = a.id AND c.status = 'active') AS active_chats",
          ),
          db.raw(
            '(SELECT GROUP_CONCAT(d.department_id) FROM agent_departments d WHERE d.agent_id = a.id) AS departments',
          ),
        )
        .orderBy('a.name');
      if (!filter.all) {
        void query.where((scope) => {
          void scope.whereRaw('1 = 0');
          if (filter.departmentIds.length > 0)
            void scope.orWhereExists(
              db('agent_departments as d')
                .select(db.raw('1'))
                .whereRaw('d.agent_id = a.id')
                .whereIn('d.department_id', filter.departmentIds),
            );
          if (filter.agentIds.length > 0) void scope.orWhereIn('a.id', filter.agentIds);
          if (filter.noDepartment)
            void scope.orWhereNotExists(
              db('agent_departments as d').select(db.raw('1')).whereRaw('d.agent_id = a.id'),
            );
        });
      }
      const rows = (await query) as (Omit<AvailabilityRow, 'departments'> & {
        departments: string | null;
      })[];
      return rows.map((row) => ({
        ...row,
        id: Number(row.id),
        active_chats: Number(row.active_chats),
        departments: row.departments ? row.departments.split(',').map(Number) : [],
      }));
    },

    /** Waiting chats per department; `departmentIds` null: every department and none. */
    async waiting(departmentIds: number[] | null): Promise<WaitingRow[]> {
      const query = db('chats as c')
        .leftJoin('departments as d', 'd.id', 'c.department_id')
        .where('c.status', 'queued')
        .groupBy('c.department_id', 'd.name')
        .orderBy('d.name')
        .select(
          'c.department_id',
          'd.name as department_name',
          db.raw('COUNT(*) AS waiting'),
          db.raw('MIN(c.created_at) AS oldest'),
        );
      if (departmentIds !== null) void query.whereIn('c.department_id', departmentIds);
      const rows = (await query) as WaitingRow[];
      return rows.map((row) => ({
        ...row,
        department_id: row.department_id === null ? null : Number(row.department_id),
        waiting: Number(row.waiting),
      }));
    },

    /**
     * Waiting chats under no open offer that routing offered before and saw refused or time out,
     * oldest first (those past their rule's limit were given up on); `departmentIds` as for waiting.
     */
    async declinedWaiting(departmentIds: number[] | null): Promise<DeclinedChatRow[]> {
      const query = db('chats as c')
        .join('chat_offers as o', 'o.chat_id', 'c.id')
        .where('c.status', 'queued')
        .whereIn('o.outcome', ['refused', 'timed_out'])
        .whereNotExists(
          db('chat_offers as x')
            .whereRaw('x.chat_id = c.id')
            .whereNull('x.outcome')
            .select(db.raw('1')),
        )
        .groupBy('c.id')
        .orderBy('c.created_at')
        .orderBy('c.id')
        .select(
          'c.id',
          'c.department_id',
          'c.visitor_name',
          'c.created_at',
          db.raw('COUNT(*) AS declines'),
        );
      if (departmentIds !== null) void query.whereIn('c.department_id', departmentIds);
      const rows = (await query) as DeclinedChatRow[];
      return rows.map((row) => ({
        ...row,
        id: Number(row.id),
        department_id: row.department_id === null ? null : Number(row.department_id),
        declines: Number(row.declines),
      }));
    },
  };
}
