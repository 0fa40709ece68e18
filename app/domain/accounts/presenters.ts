import type { AgentRow } from '../../storage/agents.ts';
import type { DepartmentWithCount } from '../../storage/departments.ts';
import type { GrantRow } from '../../storage/grants.ts';
import type { AgentGroupWithCount } from '../../storage/groups.ts';
import type { RoleWithCount } from '../../storage/roles.ts';
import type { Permission } from '../../shared/permissions.ts';
import type {
  AgentAdminView,
  AgentGroupView,
  DepartmentView,
  GrantView,
  RoleView,
} from '../../shared/accounts.ts';

// What the accounts API sends: never a raw row, never a password hash.

export type AgentWithMemberships = AgentRow & {
  created_at: Date;
  departments: number[];
  groups: number[];
};

export function presentAgentAdmin(row: AgentWithMemberships): AgentAdminView {
  return {
    id: Number(row.id),
    email: row.email,
    name: row.name,
    role: row.role,
    active: Boolean(row.active),
    mustChangePassword: Boolean(row.must_change_password),
    departments: row.departments,
    groups: row.groups,
    createdAt: row.created_at.toISOString(),
  };
}

export function presentDepartment(row: DepartmentWithCount | AgentGroupWithCount): DepartmentView {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description,
    agentCount: Number(row.agent_count),
  };
}

export const presentGroup: (row: AgentGroupWithCount) => AgentGroupView = presentDepartment;

export function presentRole(row: RoleWithCount): RoleView {
  return {
    name: row.name,
    description: row.description,
    builtin: Boolean(row.builtin),
    requireTotp: Boolean(row.require_totp),
    awayAfterMinutes: row.away_after_minutes === null ? null : Number(row.away_after_minutes),
    defaultCapacity: row.default_capacity === null ? null : Number(row.default_capacity),
    agentCount: Number(row.agent_count),
  };
}

export function presentGrant(row: GrantRow): GrantView {
  return {
    id: Number(row.id),
    permission: row.permission as Permission,
    role: row.role,
    agentId: row.agent_id,
    scope: row.scope,
    scopeIds: row.scope_ids,
  };
}
