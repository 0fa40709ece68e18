import type { Permission } from '../../app/shared/permissions.ts';
import { passwordHasher } from '../../app/domain/passwords.ts';
import { agentsRepo, type AgentRow } from '../../app/storage/agents.ts';
import type { Db } from '../../app/storage/db.ts';

const hasher = passwordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });
let counter = 0;

export async function createAgent(
  db: Db,
  overrides: Partial<{
    email: string;
    name: string;
    role: 'admin' | 'agent';
    password: string;
  }> = {},
): Promise<{ agent: AgentRow; password: string }> {
  counter += 1;
  const password = overrides.password ?? `correct horse battery ${counter}`;
  const id = await agentsRepo(db).insert({
    email: overrides.email ?? `agent${counter}@example.test`,
    name: overrides.name ?? `Agent ${counter}`,
    role: overrides.role ?? 'agent',
    password_hash: await hasher.hash(password),
    must_change_password: 0,
  });
  const agent = await agentsRepo(db).byId(id);
  return { agent: agent!, password };
}

export interface RoleGrant {
  permission: Permission;
  /** Default: `departments` when ids are given, otherwise `all`. */
  scope?: 'all' | 'departments' | 'groups';
  ids?: number[];
}

/** A role with its permission grants, as Admin › Roles would save it. */
export async function createRole(db: Db, name: string, grants: RoleGrant[]): Promise<void> {
  await db('roles').insert({ name, description: name });
  for (const grant of grants)
    await db('permission_grants').insert({
      permission: grant.permission,
      role: name,
      scope: grant.scope ?? (grant.ids ? 'departments' : 'all'),
      scope_ids: grant.ids ? JSON.stringify(grant.ids) : null,
    });
}
