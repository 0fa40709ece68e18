import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export type GrantScope = 'all' | 'departments' | 'groups';

export interface GrantRow {
  id: number;
  permission: string;
  role: string | null;
  agent_id: number | null;
  scope: GrantScope;
  scope_ids: number[];
  created_at: Date;
}

type RawGrant = Omit<GrantRow, 'scope_ids'> & { scope_ids: unknown };

function parseIds(raw: unknown): number[] {
  const value: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  return Array.isArray(value) ? value.map(Number).filter(Number.isInteger) : [];
}

const normalize = (row: RawGrant): GrantRow => ({
  ...row,
  agent_id: row.agent_id === null ? null : Number(row.agent_id),
  scope_ids: parseIds(row.scope_ids),
});

/** Permission grants to a role or to one agent, scoped to all, some departments or some groups. */
export function grantsRepo(store: Store) {
  const db = knexOf(store);
  return {
    async forRole(role: string): Promise<GrantRow[]> {
      return ((await db('permission_grants').where({ role }).orderBy('id')) as RawGrant[]).map(
        normalize,
      );
    },
    async forAgent(agentId: number): Promise<GrantRow[]> {
      const rows = (await db('permission_grants')
        .where({ agent_id: agentId })
        .orderBy('id')) as RawGrant[];
      return rows.map(normalize);
    },
    /** Everything loading an agent's grants needs: their role's and their own grants, their departments. */
    async ofAgent(
      agentId: number,
      role: string,
    ): Promise<{ grants: GrantRow[]; departments: number[] }> {
      const [rows, departments] = await Promise.all([
        db('permission_grants').where({ role }).orWhere({ agent_id: agentId }).orderBy('id'),
        db('agent_departments').where({ agent_id: agentId }).pluck('department_id'),
      ]);
      return {
        grants: (rows as RawGrant[]).map(normalize),
        departments: (departments as number[]).map(Number),
      };
    },
    /** The members of these groups, by group. */
    async membersOf(groupIds: number[]): Promise<Map<number, Set<number>>> {
      const map = new Map<number, Set<number>>();
      if (groupIds.length === 0) return map;
      const rows: { group_id: number; agent_id: number }[] = await db('agent_group_members')
        .whereIn('group_id', groupIds)
        .select('group_id', 'agent_id');
      for (const row of rows) {
        const set = map.get(Number(row.group_id)) ?? new Set<number>();
        set.add(Number(row.agent_id));
        map.set(Number(row.group_id), set);
      }
      return map;
    },
    async byId(id: number): Promise<GrantRow | undefined> {
      const row = (await db('permission_grants').where({ id }).first()) as RawGrant | undefined;
      return row && normalize(row);
    },
    /** Grants whose scope lists some of these departments or groups. */
    async referencing(scope: 'departments' | 'groups', ids: number[]): Promise<GrantRow[]> {
      const rows = ((await db('permission_grants').where({ scope })) as RawGrant[]).map(normalize);
      return rows.filter((row) => row.scope_ids.some((id) => ids.includes(id)));
    },
    async insert(row: {
      permission: string;
      role: string | null;
      agent_id: number | null;
      scope: GrantScope;
      scope_ids: number[];
    }): Promise<number> {
      const [id] = await db('permission_grants').insert({
        ...row,
        scope_ids: JSON.stringify(row.scope_ids),
      });
      return Number(id);
    },
    setScopeIds: (id: number, scopeIds: number[]) =>
      db('permission_grants')
        .where({ id })
        .update({ scope_ids: JSON.stringify(scopeIds) }),
    remove: (id: number) => db('permission_grants').where({ id }).delete(),
  };
}
