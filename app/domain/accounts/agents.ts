import { agentsRepo, type AgentRow } from '../../storage/agents.ts';
import { transaction, type Store } from '../../storage/store.ts';
import { departmentsRepo } from '../../storage/departments.ts';
import { groupsRepo } from '../../storage/groups.ts';
import { rolesRepo } from '../../storage/roles.ts';
import { sessionsRepo } from '../../storage/sessions.ts';
import { signinDevicesRepo } from '../../storage/signinDevices.ts';
import { errors } from '../errors.ts';
import { loadPasswordPolicy } from '../passwordPolicy/policy.ts';
import { contentViolations } from '../passwordPolicy/rules.ts';
import { diff, recordChange, type AccountServices, type Actor } from './actor.ts';
import { generateCompliantPassword, storePassword } from './passwords.ts';
import { presentAgentAdmin } from './presenters.ts';
import {
  ADMIN_ROLE,
  agentsScopedByGroups,
  assertMayAssignRole,
  assertMayManageAgent,
  reloadPrivileges,
} from './privileges.ts';
import type { AgentAdminView, AgentChanges, AgentInput } from '../../shared/accounts.ts';

export async function listAgents(db: Store): Promise<AgentAdminView[]> {
  return (await agentsRepo(db).listed()).map(presentAgentAdmin);
}

/** The agent's account, or not_found. */
export async function findAgent(db: Store, id: number): Promise<AgentRow> {
  const agent = await agentsRepo(db).byId(id);
  if (!agent) throw errors.notFound('agent');
  return agent;
}

export async function viewAgent(db: Store, id: number): Promise<AgentAdminView> {
  const [row] = await agentsRepo(db).listed(id);
  if (!row) throw errors.notFound('agent');
  return presentAgentAdmin(row);
}

/** Refuses unknown roles, departments and groups, naming them. */
async function assertReferencesExist(
  db: Store,
  input: { role?: string; departments?: number[]; groups?: number[] },
): Promise<void> {
  if (input.role !== undefined && !(await rolesRepo(db).byName(input.role))) {
    throw errors.invalidInput(`role: no role named "${input.role}"`);
  }
  for (const [field, ids, repo] of [
    ['departments', input.departments, departmentsRepo(db)],
    ['groups', input.groups, groupsRepo(db)],
  ] as const) {
    if (!ids) continue;
    const known = await repo.existing(ids);
    const unknown = ids.filter((id) => !known.includes(id));
    if (unknown.length > 0) throw errors.invalidInput(`${field}: no such id ${unknown.join(', ')}`);
  }
}

async function assertEmailFree(db: Store, email: string, exceptId?: number): Promise<void> {
  const existing = await agentsRepo(db).byEmail(email);
  if (existing && existing.id !== exceptId)
    throw errors.alreadyExists('An account with this email');
}

/** Creates an agent (no self-sign-up). The password is the admin's or generated; either way it must be changed at first sign-in. */
export async function createAgent(
  services: AccountServices,
  actor: Actor,
  input: AgentInput,
): Promise<{ agent: AgentAdminView; generatedPassword: string | null }> {
  const { db } = services;
  const email = input.email.toLowerCase();
  await assertReferencesExist(db, input);
  await assertMayAssignRole(db, actor, input.role);
  await assertEmailFree(db, email);
  const policy = await loadPasswordPolicy(db);
  const owner = { email, name: input.name };
  if (input.password !== undefined) {
    const violations = await contentViolations(policy, input.password, owner);
    if (violations.length > 0) throw errors.passwordRejected(violations);
  }
  const password = input.password ?? (await generateCompliantPassword(policy, owner));
  const hash = await services.passwords.hash(password);
  const now = new Date();
  const id = await transaction(db, async (trx) => {
    const agentId = await agentsRepo(trx).create({
      email,
      name: input.name,
      role: input.role as AgentRow['role'],
      password_hash: hash,
    });
    await departmentsRepo(trx).setForAgent(agentId, input.departments);
    await groupsRepo(trx).setForAgent(agentId, input.groups);
    await storePassword(trx, agentId, hash, 'created', now);
    await recordChange(
      services,
      actor,
      {
        action: 'agent.create',
        target: { kind: 'agent', id: agentId },
        details: {
          email,
          name: input.name,
          role: input.role,
          departments: input.departments,
          groups: input.groups,
          chosenBy: input.password === undefined ? 'server' : 'admin',
        },
      },
      trx,
    );
    return agentId;
  });
  reloadPrivileges(services, await agentsScopedByGroups(db, input.groups));
  return {
    agent: await viewAgent(db, id),
    generatedPassword: input.password === undefined ? password : null,
  };
}

/** Locks the other active administrators' rows, so two admins cannot demote each other at once. */
const activeAdminsOtherThan = (tx: Store, agentId: number) =>
  agentsRepo(tx).lockActiveAdminsOtherThan(ADMIN_ROLE, agentId);

/** Changes an agent; deactivating ends their sessions, and privilege changes reach their sockets. */
export async function updateAgent(
  services: AccountServices,
  actor: Actor,
  agentId: number,
  changes: AgentChanges,
): Promise<AgentAdminView> {
  const { db } = services;
  const before = await viewAgent(db, agentId);
  assertMayManageAgent(actor, before);
  if (changes.role !== undefined && changes.role !== before.role) {
    await assertMayAssignRole(db, actor, changes.role);
  }
  await assertReferencesExist(db, changes);
  const email = changes.email?.toLowerCase();
  if (email !== undefined) await assertEmailFree(db, email, agentId);
  const after = { ...changes, ...(email === undefined ? {} : { email }) };
  const changed = diff(before as unknown as Record<string, unknown>, after);
  if (Object.keys(changed).length === 0) return before;

  const losesAdmin =
    before.role === ADMIN_ROLE &&
    before.active &&
    (('role' in changed && after.role !== ADMIN_ROLE) || ('active' in changed && !after.active));
  if (agentId === actor.agent.id && ('active' in changed || 'role' in changed)) {
    throw errors.forbidden('change your own role or deactivate your own account');
  }
  const deactivating = 'active' in changed && after.active === false;
  await transaction(db, async (trx) => {
    if (losesAdmin && (await activeAdminsOtherThan(trx, agentId)) === 0) throw errors.lastAdmin();
    const columns = Object.fromEntries(
      (['email', 'name', 'role', 'active'] as const)
        .filter((key) => key in changed)
        .map((key) => [key, after[key]]),
    );
    if (Object.keys(columns).length > 0) {
      await agentsRepo(trx).update(agentId, columns);
    }
    if ('departments' in changed)
      await departmentsRepo(trx).setForAgent(agentId, after.departments!);
    if ('groups' in changed) await groupsRepo(trx).setForAgent(agentId, after.groups!);
    if (deactivating) {
      await sessionsRepo(trx).removeForAgent(agentId);
      await signinDevicesRepo(trx).removeForAgent(agentId);
    }
    const action = !('active' in changed)
      ? 'agent.update'
      : deactivating
        ? 'agent.deactivate'
        : 'agent.reactivate';
    await recordChange(
      services,
      actor,
      { action, target: { kind: 'agent', id: agentId }, details: { changes: changed } },
      trx,
    );
  });

  if (deactivating) services.disconnectAgent(agentId, 'deactivated', true);
  else if ('role' in changed || 'departments' in changed || 'groups' in changed) {
    const touchedGroups = [...before.groups, ...(after.groups ?? [])];
    reloadPrivileges(services, [
      agentId,
      ...('groups' in changed ? await agentsScopedByGroups(db, touchedGroups) : []),
    ]);
  }
  return viewAgent(db, agentId);
}
