import { transaction, type Store } from '../../storage/store.ts';
import { ER_DUP_ENTRY, sqlErrno } from '../../storage/sqlErrors.ts';
import { departmentsRepo } from '../../storage/departments.ts';
import { grantsRepo, type GrantRow } from '../../storage/grants.ts';
import { groupsRepo } from '../../storage/groups.ts';
import { rolesRepo } from '../../storage/roles.ts';
import { errors } from '../errors.ts';
import { PERMISSIONS, type Permission } from '../../shared/permissions.ts';
import { agentsRepo } from '../../storage/agents.ts';
import { recordChange, type AccountServices, type Actor } from './actor.ts';
import { presentGrant, presentRole } from './presenters.ts';
import {
  ADMIN_ROLE,
  assertMayGrant,
  assertMayManageAgent,
  reloadPrivileges,
} from './privileges.ts';
import type { GrantInput, GrantView, RoleListResponse, RoleView } from '../../shared/accounts.ts';

export async function listRoles(db: Store): Promise<RoleListResponse> {
  return {
    roles: (await rolesRepo(db).list()).map(presentRole),
    permissions: (Object.entries(PERMISSIONS) as [Permission, string][]).map(
      ([permission, description]) => ({ permission, description }),
    ),
  };
}

async function viewRole(db: Store, name: string): Promise<RoleView> {
  const row = (await rolesRepo(db).list()).find((role) => role.name === name);
  if (!row) throw errors.notFound('role');
  return presentRole(row);
}

export async function createRole(
  services: AccountServices,
  actor: Actor,
  input: { name: string; description?: string; requireTotp?: boolean },
): Promise<RoleView> {
  const row = {
    name: input.name,
    description: input.description ?? '',
    require_totp: input.requireTotp ?? false,
  };
  await transaction(services.db, async (trx) => {
    await rolesRepo(trx).insert(row);
    await recordChange(
      services,
      actor,
      {
        action: 'role.create',
        target: { kind: 'role', id: row.name },
        // "totp" keys are dropped from audit details as secret-looking; say it in other words.
        details: {
          name: row.name,
          description: row.description,
          twoFactorRequired: row.require_totp,
        },
      },
      trx,
    );
  }).catch((error: unknown) => {
    if (sqlErrno(error) === ER_DUP_ENTRY) throw errors.alreadyExists('A role with this name');
    throw error;
  });
  return viewRole(services.db, row.name);
}

/**
 * Edits a role's description, whether it requires two-factor sign-in (enforced at sign-in), when
 * its agents become away by idleness, and its default capacity for routing (issue 14).
 */
export async function updateRole(
  services: AccountServices,
  actor: Actor,
  name: string,
  input: {
    description?: string;
    requireTotp?: boolean;
    awayAfterMinutes?: number | null;
    defaultCapacity?: number | null;
  },
): Promise<RoleView> {
  const before = await rolesRepo(services.db).byName(name);
  if (!before) throw errors.notFound('role');
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (input.description !== undefined && input.description !== before.description) {
    changes.description = { from: before.description, to: input.description };
  }
  if (input.requireTotp !== undefined && input.requireTotp !== Boolean(before.require_totp)) {
    changes.twoFactorRequired = { from: Boolean(before.require_totp), to: input.requireTotp };
  }
  const awayBefore = before.away_after_minutes === null ? null : Number(before.away_after_minutes);
  if (input.awayAfterMinutes !== undefined && input.awayAfterMinutes !== awayBefore) {
    changes.awayAfterMinutes = { from: awayBefore, to: input.awayAfterMinutes };
  }
  const capacityBefore = before.default_capacity === null ? null : Number(before.default_capacity);
  if (input.defaultCapacity !== undefined && input.defaultCapacity !== capacityBefore) {
    changes.defaultCapacity = { from: capacityBefore, to: input.defaultCapacity };
  }
  if (Object.keys(changes).length > 0) {
    await transaction(services.db, async (trx) => {
      await rolesRepo(trx).update(name, {
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.requireTotp === undefined ? {} : { require_totp: input.requireTotp }),
        ...(input.awayAfterMinutes === undefined
          ? {}
          : { away_after_minutes: input.awayAfterMinutes }),
        ...(input.defaultCapacity === undefined ? {} : { default_capacity: input.defaultCapacity }),
      });
      await recordChange(
        services,
        actor,
        { action: 'role.update', target: { kind: 'role', id: name }, details: { changes } },
        trx,
      );
    });
  }
  return viewRole(services.db, name);
}

/** Deletes a custom role no agent has; its grants go with it. */
export async function deleteRole(services: AccountServices, actor: Actor, name: string) {
  const roles = rolesRepo(services.db);
  const role = await roles.byName(name);
  if (!role) throw errors.notFound('role');
  if (role.builtin) throw errors.forbidden('delete a built-in role');
  const inUse = await roles.agentCount(name);
  if (inUse > 0) {
    throw errors.inUse(`${inUse} agent(s) still have this role; give them another role first.`);
  }
  await transaction(services.db, async (trx) => {
    const grants = await grantsRepo(trx).forRole(name);
    await rolesRepo(trx).remove(name);
    await recordChange(
      services,
      actor,
      {
        action: 'role.delete',
        target: { kind: 'role', id: name },
        details: { name, grants: grants.map((grant) => grant.permission) },
      },
      trx,
    );
  });
}

export async function listGrants(
  db: Store,
  holder: { role: string } | { agentId: number },
): Promise<GrantView[]> {
  const rows =
    'role' in holder
      ? await grantsRepo(db).forRole(holder.role)
      : await grantsRepo(db).forAgent(holder.agentId);
  return rows.map(presentGrant);
}

/** Who holds a grant: everyone with the role, or the one agent. */
async function holders(db: Store, grant: Pick<GrantRow, 'role' | 'agent_id'>): Promise<number[]> {
  if (grant.agent_id !== null) return [grant.agent_id];
  return grant.role ? rolesRepo(db).agentIds(grant.role) : [];
}

async function assertScopeExists(db: Store, input: GrantInput): Promise<void> {
  if (input.scope === 'all') {
    if (input.scopeIds.length > 0)
      throw errors.invalidInput('scopeIds: must be empty for scope all');
    return;
  }
  if (input.scopeIds.length === 0) {
    throw errors.invalidInput(`scopeIds: name at least one of the ${input.scope}`);
  }
  const repo = input.scope === 'departments' ? departmentsRepo(db) : groupsRepo(db);
  const known = await repo.existing(input.scopeIds);
  const unknown = input.scopeIds.filter((id) => !known.includes(id));
  if (unknown.length > 0) throw errors.invalidInput(`scopeIds: no such id ${unknown.join(', ')}`);
}

/** Grants a permission to a role or an agent, over all departments, some departments or some groups. */
export async function addGrant(
  services: AccountServices,
  actor: Actor,
  input: GrantInput,
): Promise<GrantView> {
  const { db } = services;
  const role = input.role ?? null;
  const agentId = input.agentId ?? null;
  if (role !== null) {
    if (!(await rolesRepo(db).byName(role))) throw errors.notFound('role');
    if (role === ADMIN_ROLE)
      throw errors.invalidInput('role: the admin role holds every permission');
  } else {
    const agent = await agentsRepo(db).byId(agentId!);
    if (!agent) throw errors.notFound('agent');
    assertMayManageAgent(actor, agent);
  }
  assertMayGrant(actor, input.permission, { scope: input.scope, scopeIds: input.scopeIds });
  await assertScopeExists(db, input);
  const scopeIds = [...new Set(input.scopeIds)].sort((a, b) => a - b);
  const existing =
    role !== null ? await grantsRepo(db).forRole(role) : await grantsRepo(db).forAgent(agentId!);
  const same = existing.find(
    (grant) =>
      grant.permission === input.permission &&
      grant.scope === input.scope &&
      JSON.stringify([...grant.scope_ids].sort((a, b) => a - b)) === JSON.stringify(scopeIds),
  );
  if (same) throw errors.alreadyExists('This grant');
  const row = {
    permission: input.permission,
    role,
    agent_id: agentId,
    scope: input.scope,
    scope_ids: scopeIds,
  };
  const id = await transaction(db, async (trx) => {
    const created = await grantsRepo(trx).insert(row);
    await recordChange(
      services,
      actor,
      {
        action: 'grant.add',
        target: role !== null ? { kind: 'role', id: role } : { kind: 'agent', id: agentId! },
        details: {
          grant: created,
          permission: input.permission,
          role,
          agentId,
          scope: input.scope,
          scopeIds,
        },
      },
      trx,
    );
    return created;
  });
  reloadPrivileges(services, await holders(db, row));
  return presentGrant((await grantsRepo(db).byId(id))!);
}

export async function removeGrant(
  services: AccountServices,
  actor: Actor,
  id: number,
): Promise<void> {
  const { db } = services;
  const grant = await grantsRepo(db).byId(id);
  if (!grant) throw errors.notFound('grant');
  if (grant.agent_id !== null) {
    const agent = await agentsRepo(db).byId(grant.agent_id);
    if (agent) assertMayManageAgent(actor, agent);
  }
  const affected = await holders(db, grant);
  await transaction(db, async (trx) => {
    await grantsRepo(trx).remove(id);
    await recordChange(
      services,
      actor,
      {
        action: 'grant.remove',
        target:
          grant.role !== null
            ? { kind: 'role', id: grant.role }
            : { kind: 'agent', id: grant.agent_id! },
        details: {
          grant: id,
          permission: grant.permission,
          role: grant.role,
          agentId: grant.agent_id,
          scope: grant.scope,
          scopeIds: grant.scope_ids,
        },
      },
      trx,
    );
  });
  reloadPrivileges(services, affected);
}
