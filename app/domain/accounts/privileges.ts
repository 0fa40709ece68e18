import type { Store } from '../../storage/store.ts';
import { grantsRepo } from '../../storage/grants.ts';
import { rolesRepo } from '../../storage/roles.ts';
import { errors } from '../errors.ts';
import type { AgentRow } from '../../storage/agents.ts';
import { ALL_PERMISSIONS, isPermission, type Permission } from '../../shared/permissions.ts';
import { loadGrants } from '../permissions/policy.ts';
import type { AccountServices, Actor } from './actor.ts';

export const ADMIN_ROLE = 'admin';

const isAdmin = (actor: Actor) => actor.agent.role === ADMIN_ROLE;

/**
 * No escalation: an agent manager who is not an administrator cannot make or touch administrators,
 * nor hand out a permission they do not hold themselves (directly or through a role).
 */
export function assertMayManageAgent(actor: Actor, target: { role: string }): void {
  if (target.role === ADMIN_ROLE && !isAdmin(actor)) {
    throw errors.forbidden('change an administrator account (only administrators may)');
  }
}

export interface GrantScope {
  scope: 'all' | 'departments' | 'groups';
  scopeIds: number[];
}

/**
 * Nor hand it out more widely than they hold it: over all departments only when they hold it over
 * all; over some departments only within theirs; over groups only when they hold it over all.
 * ("Own departments" is bounded by the grantee's departments whatever the scope, so holding it is enough.)
 */
export function assertMayGrant(actor: Actor, permission: string, scope?: GrantScope): void {
  if (isAdmin(actor)) return;
  if (!isPermission(permission) || !actor.grants.holds(permission)) {
    throw errors.forbidden(`grant the ${permission} permission, which you do not hold`);
  }
  if (!scope || permission === 'transcripts.view_department') return;
  const held = actor.grants.scopeOf(permission);
  if (held.all) return;
  const within =
    scope.scope === 'departments' && scope.scopeIds.every((id) => held.departmentIds.includes(id));
  if (!within) {
    throw errors.forbidden(
      `grant the ${permission} permission more widely than you hold it (you hold it for some departments only)`,
    );
  }
}

export async function assertMayAssignRole(db: Store, actor: Actor, role: string): Promise<void> {
  if (isAdmin(actor)) return;
  if (role === ADMIN_ROLE) throw errors.forbidden('make an agent an administrator');
  for (const grant of await grantsRepo(db).forRole(role)) {
    assertMayGrant(actor, grant.permission, { scope: grant.scope, scopeIds: grant.scope_ids });
  }
}

/** Agents whose grants reach through these groups (group-scoped grants of theirs or their role). */
export async function agentsScopedByGroups(db: Store, groupIds: number[]): Promise<number[]> {
  if (groupIds.length === 0) return [];
  return agentsHolding(db, await grantsRepo(db).referencing('groups', groupIds));
}

/** Agents whose grants name these departments. */
export async function agentsScopedByDepartments(db: Store, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  return agentsHolding(db, await grantsRepo(db).referencing('departments', ids));
}

async function agentsHolding(
  db: Store,
  grants: { role: string | null; agent_id: number | null }[],
): Promise<number[]> {
  const ids = grants.flatMap((grant) => (grant.agent_id === null ? [] : [grant.agent_id]));
  const roles = [...new Set(grants.flatMap((grant) => (grant.role ? [grant.role] : [])))];
  for (const role of roles) ids.push(...(await rolesRepo(db).agentIds(role)));
  return ids;
}

/**
 * Makes a privilege change take effect on open sockets now: HTTP reloads grants on every request,
 * but a socket loads them at its handshake, so the agent's sockets are disconnected and the console
 * reconnects (its sessions stay). Done after the change commits.
 */
export function reloadPrivileges(services: AccountServices, agentIds: number[]): void {
  for (const agentId of new Set(agentIds)) {
    services.disconnectAgent(agentId, 'privileges_changed', false);
  }
}

/** The permissions an agent holds (whatever their scope): what the console shows them. */
export async function heldPermissions(db: Store, agent: AgentRow): Promise<Permission[]> {
  const grants = await loadGrants(db, agent);
  return ALL_PERMISSIONS.filter((permission) => grants.holds(permission));
}
