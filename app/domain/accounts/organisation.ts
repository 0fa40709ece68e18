import { transaction, type Store } from '../../storage/store.ts';
import { departmentsRepo } from '../../storage/departments.ts';
import { grantsRepo } from '../../storage/grants.ts';
import { groupsRepo } from '../../storage/groups.ts';
import { ER_DUP_ENTRY, sqlErrno } from '../../storage/sqlErrors.ts';
import { errors } from '../errors.ts';
import { diff, recordChange, type AccountServices, type Actor } from './actor.ts';
import { presentDepartment } from './presenters.ts';
import { agentsScopedByDepartments, agentsScopedByGroups, reloadPrivileges } from './privileges.ts';
import type { DepartmentView, NamedInput } from '../../shared/accounts.ts';

// Departments and agent groups behave alike: a name, a description and members; a group scopes grants
// by its members, a department by the chats and transcripts in it.
const KINDS = {
  department: {
    repo: departmentsRepo,
    label: 'department',
    scope: 'departments',
    scopedAgents: agentsScopedByDepartments,
  },
  group: {
    repo: groupsRepo,
    label: 'agent group',
    scope: 'groups',
    scopedAgents: agentsScopedByGroups,
  },
} as const;

export type OrganisationKind = keyof typeof KINDS;

const duplicateName = (kind: OrganisationKind) => (error: unknown) => {
  if (sqlErrno(error) === ER_DUP_ENTRY)
    throw errors.alreadyExists(`A ${KINDS[kind].label} with this name`);
  throw error;
};

export async function listUnits(db: Store, kind: OrganisationKind): Promise<DepartmentView[]> {
  return (await KINDS[kind].repo(db).list()).map(presentDepartment);
}

async function viewUnit(db: Store, kind: OrganisationKind, id: number): Promise<DepartmentView> {
  const row = (await KINDS[kind].repo(db).list()).find((unit) => Number(unit.id) === id);
  if (!row) throw errors.notFound(KINDS[kind].label);
  return presentDepartment(row);
}

export async function createUnit(
  services: AccountServices,
  actor: Actor,
  kind: OrganisationKind,
  input: NamedInput,
): Promise<DepartmentView> {
  const row = { name: input.name, description: input.description ?? '' };
  const id = await transaction(services.db, async (trx) => {
    const created = await KINDS[kind].repo(trx).insert(row);
    await recordChange(
      services,
      actor,
      { action: `${kind}.create`, target: { kind, id: created }, details: row },
      trx,
    );
    return created;
  }).catch(duplicateName(kind));
  return viewUnit(services.db, kind, id);
}

export async function updateUnit(
  services: AccountServices,
  actor: Actor,
  kind: OrganisationKind,
  id: number,
  input: Partial<NamedInput>,
): Promise<DepartmentView> {
  const before = await KINDS[kind].repo(services.db).byId(id);
  if (!before) throw errors.notFound(KINDS[kind].label);
  const changes = diff(before as unknown as Record<string, unknown>, input);
  if (Object.keys(changes).length === 0) return viewUnit(services.db, kind, id);
  await transaction(services.db, async (trx) => {
    await KINDS[kind].repo(trx).update(id, input);
    await recordChange(
      services,
      actor,
      { action: `${kind}.update`, target: { kind, id }, details: { changes } },
      trx,
    );
  }).catch(duplicateName(kind));
  return viewUnit(services.db, kind, id);
}

/**
 * Deletes a department or group: memberships go with it, and it is taken out of every grant scoped
 * by it (a grant left with no scope is removed). Everyone whose privileges that changes is refreshed.
 */
export async function deleteUnit(
  services: AccountServices,
  actor: Actor,
  kind: OrganisationKind,
  id: number,
): Promise<void> {
  const { db } = services;
  const { repo, label, scope, scopedAgents } = KINDS[kind];
  const unit = await repo(db).byId(id);
  if (!unit) throw errors.notFound(label);
  const members = await repo(db).memberIds(id);
  const affected = [...members, ...(await scopedAgents(db, [id]))];
  await transaction(db, async (trx) => {
    const grants = grantsRepo(trx);
    const touched = await grants.referencing(scope, [id]);
    for (const grant of touched) {
      const rest = grant.scope_ids.filter((other) => other !== id);
      if (rest.length === 0) await grants.remove(grant.id);
      else await grants.setScopeIds(grant.id, rest);
    }
    await repo(trx).remove(id);
    await recordChange(
      services,
      actor,
      {
        action: `${kind}.delete`,
        target: { kind, id },
        details: {
          name: unit.name,
          members: members.length,
          grantsNarrowed: touched.map((g) => g.id),
        },
      },
      trx,
    );
  });
  reloadPrivileges(services, affected);
}
