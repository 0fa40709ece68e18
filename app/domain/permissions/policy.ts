import type { AgentRow } from '../../storage/agents.ts';
import { grantsRepo } from '../../storage/grants.ts';
import type { ScopeFilter } from '../../storage/scope.ts';
import type { Store } from '../../storage/store.ts';
import {
  ALL_PERMISSIONS,
  isPermission,
  type Permission,
  type Requirement,
} from '../../shared/permissions.ts';

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

export type { ScopeFilter };

const BUILTIN_SUPERUSER_ROLE = 'admin';

/** Loads an agent's grants (their role's and their own) with what the scopes need. */
export async function loadGrants(db: Store, agent: AgentRow): Promise<Grants> {
  const repo = grantsRepo(db);
  const { grants: rows, departments: ownDepartments } = await repo.ofAgent(agent.id, agent.role);
  const superuser = agent.role === BUILTIN_SUPERUSER_ROLE;
  const grants: Grant[] = superuser
    ? ALL_PERMISSIONS.map((permission) => ({ permission, scope: 'all', scopeIds: [] }))
    : rows
        .filter((row) => isPermission(row.permission))
        .map((row) => ({
          permission: row.permission as Permission,
          scope: row.scope,
          scopeIds: row.scope_ids,
        }));
  const groupMembersOf = await repo.membersOf([
    ...new Set(grants.filter((g) => g.scope === 'groups').flatMap((g) => g.scopeIds)),
  ]);

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
