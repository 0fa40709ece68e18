import type { AgentRow } from '../../storage/agents.ts';
import type { Db } from '../../storage/db.ts';
import { ALL_PERMISSIONS, isPermission, type Permission, type Requirement } from '../../shared/permissions.ts';

/** What a permission is being used on: a chat or transcript belongs to a department and an agent. */
export interface Resource {
  departmentId: number | null;
  agentId: number | null;
}

interface Grant {
  permission: Permission;
  scope: 'all' | 'departments' | 'groups';
  scopeIds: number[];
}

export interface Grants {
  agentId: number;
  departments: number[];
  /** The permissions held at all, whatever their scope. */
  holds(permission: Permission): boolean;
  /** Whether the permission covers this resource (deny by default). */
  covers(permission: Permission, resource?: Resource): boolean;
  /** The same as `covers`, as a filter for a query over many resources. */
  scopeOf(permission: Permission): ScopeFilter;
}

/** Resources in these departments or handled by these agents; `all` ignores both lists. */
export interface ScopeFilter {
  all: boolean;
  departmentIds: number[];
  agentIds: number[];
}

const BUILTIN_SUPERUSER_ROLE = 'admin';

/** Loads an agent's grants (their role's and their own) with what the scopes need. */
export async function loadGrants(db: Db, agent: AgentRow): Promise<Grants> {
  const [rows, departments] = await Promise.all([
    db('permission_grants')
      .where({ role: agent.role })
      .orWhere({ agent_id: agent.id })
      .select('permission', 'scope', 'scope_ids'),
    db('agent_departments').where({ agent_id: agent.id }).pluck('department_id'),
  ]);
  const superuser = agent.role === BUILTIN_SUPERUSER_ROLE;
  const grants: Grant[] = superuser
    ? ALL_PERMISSIONS.map((permission) => ({ permission, scope: 'all', scopeIds: [] }))
    : (rows as { permission: string; scope: Grant['scope']; scope_ids: unknown }[])
        .filter((row) => isPermission(row.permission))
        .map((row) => ({
          permission: row.permission as Permission,
          scope: row.scope,
          scopeIds: parseIds(row.scope_ids),
        }));
  const ownDepartments = (departments as number[]).map(Number);
  const groupMembersOf = await membersByGroup(db, grants);

  return {
    agentId: agent.id,
    departments: ownDepartments,
    holds: (permission) => grants.some((grant) => grant.permission === permission),
    covers(permission, resource) {
      return grants.some((grant) => {
        if (grant.permission !== permission) return false;
        if (!resource) return grant.scope === 'all';
        // "Own department" is bounded by the agent's departments whatever the grant says,
        // plus the chats the agent handled.
        if (permission === 'transcripts.view_department') {
          return (
            resource.agentId === agent.id ||
            (resource.departmentId !== null && ownDepartments.includes(resource.departmentId))
          );
        }
        if (grant.scope === 'all') return true;
        if (grant.scope === 'departments') {
          return resource.departmentId !== null && grant.scopeIds.includes(resource.departmentId);
        }
        return (
          resource.agentId !== null &&
          grant.scopeIds.some((g) => groupMembersOf.get(g)?.has(resource.agentId!))
        );
      });
    },
    scopeOf(permission) {
      const filter: ScopeFilter = { all: false, departmentIds: [], agentIds: [] };
      for (const grant of grants.filter((g) => g.permission === permission)) {
        if (permission === 'transcripts.view_department') {
          filter.departmentIds.push(...ownDepartments);
          filter.agentIds.push(agent.id);
        } else if (grant.scope === 'all') filter.all = true;
        else if (grant.scope === 'departments') filter.departmentIds.push(...grant.scopeIds);
        else for (const g of grant.scopeIds) filter.agentIds.push(...(groupMembersOf.get(g) ?? []));
      }
      return filter;
    },
  };
}

/** Whether a principal meets a route's or event's requirement; visitors have no grants. */
export function meets(grants: Grants | null, requirement: Requirement, isVisitor = false): boolean {
  if (requirement === 'public') return true;
  if (requirement === 'visitor') return isVisitor;
  if (!grants) return false;
  if (requirement === 'signedIn') return true;
  const anyOf: readonly Permission[] =
    typeof requirement === 'string' ? [requirement] : requirement;
  return anyOf.some((permission) => grants.holds(permission));
}

function parseIds(raw: unknown): number[] {
  const value: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  return Array.isArray(value) ? value.map(Number).filter(Number.isInteger) : [];
}

async function membersByGroup(db: Db, grants: Grant[]): Promise<Map<number, Set<number>>> {
  const groupIds = [
    ...new Set(grants.filter((g) => g.scope === 'groups').flatMap((g) => g.scopeIds)),
  ];
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
}
