// The wire shapes of the accounts API (agents, departments, groups, roles, grants, passwords).
// The console imports these types only; nothing here runs.
import type { Permission } from './permissions.ts';

export interface AgentAdminView {
  id: number;
  email: string;
  name: string;
  role: string;
  active: boolean;
  mustChangePassword: boolean;
  departments: number[];
  groups: number[];
  createdAt: string;
}

export interface AgentListResponse {
  agents: AgentAdminView[];
}

export interface AgentInput {
  name: string;
  email: string;
  role: string;
  departments: number[];
  groups: number[];
  /** Omit to have the server generate one, returned once as `generatedPassword`. */
  password?: string;
}

export type AgentChanges = Partial<Omit<AgentInput, 'password'> & { active: boolean }>;

/** After create or reset: the generated password, shown once, or null when the admin chose one. */
export interface AgentCredentialResponse {
  agent: AgentAdminView;
  generatedPassword: string | null;
}

export interface DepartmentView {
  id: number;
  name: string;
  description: string;
  agentCount: number;
}
export type AgentGroupView = DepartmentView;

export interface NamedInput {
  name: string;
  description?: string;
}

export interface RoleView {
  name: string;
  description: string;
  builtin: boolean;
  requireTotp: boolean;
  /** An online agent with this role becomes away after this many idle minutes; null: never. */
  awayAfterMinutes: number | null;
  /** Chats at once routing gives an agent of this role (a department's smaller default wins); null: none. */
  defaultCapacity: number | null;
  agentCount: number;
}

export interface PermissionInfo {
  permission: Permission;
  description: string;
}

export interface RoleListResponse {
  roles: RoleView[];
  /** The catalogue, for the grants editor. */
  permissions: PermissionInfo[];
}

export type GrantScopeView = 'all' | 'departments' | 'groups';

export interface GrantView {
  id: number;
  permission: Permission;
  role: string | null;
  agentId: number | null;
  scope: GrantScopeView;
  scopeIds: number[];
}

export interface GrantInput {
  permission: Permission;
  role?: string;
  agentId?: number;
  scope: GrantScopeView;
  scopeIds: number[];
}

export interface PasswordPolicyView {
  minLength: number;
  maxLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireDigit: boolean;
  requireSymbol: boolean;
  expiryDays: number;
  minChangeIntervalHours: number;
  historyCount: number;
  resetsPerDay: number;
}

export interface PasswordPolicyResponse {
  policy: PasswordPolicyView;
  /** How many passwords the offline banned list holds. */
  bannedListSize: number;
}

export type PasswordStatusView = 'ok' | 'must_change' | 'expired';

export interface PasswordStatusResponse {
  status: PasswordStatusView;
  /** The rules a new password must meet, for the change form. */
  policy: PasswordPolicyView;
}

export interface PasswordChangeInput {
  currentPassword: string;
  newPassword: string;
}

/** `error.details` of a `password_rejected` error: every rule the password breaks. */
export interface PasswordViolationView {
  rule: string;
  message: string;
}
