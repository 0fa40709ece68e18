import type {
  AgentAdminView,
  AgentChanges,
  AgentCredentialResponse,
  AgentGroupView,
  AgentInput,
  DepartmentView,
  GrantInput,
  GrantView,
  NamedInput,
  PasswordPolicyResponse,
  PasswordPolicyView,
  RoleListResponse,
  RoleView,
} from '../../../app/shared/accounts.ts';
import { api } from './api.ts';

// Admin › the console's calls to the accounts API.

export const listAgents = async () =>
  (await api<{ agents: AgentAdminView[] }>('GET', '/api/agents')).agents;
export const createAgent = (input: AgentInput) =>
  api<AgentCredentialResponse>('POST', '/api/agents', input);
export const updateAgent = async (id: number, changes: AgentChanges) =>
  (await api<{ agent: AgentAdminView }>('PATCH', `/api/agents/${id}`, changes)).agent;
export const deactivateAgent = async (id: number) =>
  (await api<{ agent: AgentAdminView }>('POST', `/api/agents/${id}/deactivate`, {})).agent;
export const resetPassword = (id: number, password?: string) =>
  api<AgentCredentialResponse>(
    'POST',
    `/api/agents/${id}/password-reset`,
    password === undefined ? {} : { password },
  );

export type UnitKind = 'departments' | 'groups';
export const listUnits = async (kind: UnitKind) =>
  (await api<Record<UnitKind, DepartmentView[]>>('GET', `/api/${kind}`))[kind];
export const createUnit = (kind: UnitKind, input: NamedInput) =>
  api<unknown>('POST', `/api/${kind}`, input);
export const updateUnit = (kind: UnitKind, id: number, input: Partial<NamedInput>) =>
  api<unknown>('PATCH', `/api/${kind}/${id}`, input);
export const deleteUnit = (kind: UnitKind, id: number) => api<null>('DELETE', `/api/${kind}/${id}`);
export type { AgentGroupView, DepartmentView };

export const listRoles = () => api<RoleListResponse>('GET', '/api/roles');
export const createRole = async (input: {
  name: string;
  description?: string;
  requireTotp?: boolean;
}) => (await api<{ role: RoleView }>('POST', '/api/roles', input)).role;
export const updateRole = async (
  name: string,
  input: {
    description?: string;
    requireTotp?: boolean;
    awayAfterMinutes?: number | null;
    defaultCapacity?: number | null;
  },
) => (await api<{ role: RoleView }>('PATCH', `/api/roles/${encodeURIComponent(name)}`, input)).role;
export const deleteRole = (name: string) =>
  api<null>('DELETE', `/api/roles/${encodeURIComponent(name)}`);

export type GrantHolder = { role: string } | { agentId: number };
export const listGrants = async (holder: GrantHolder) => {
  const query =
    'role' in holder ? `role=${encodeURIComponent(holder.role)}` : `agentId=${holder.agentId}`;
  return (await api<{ grants: GrantView[] }>('GET', `/api/grants?${query}`)).grants;
};
export const addGrant = async (input: GrantInput) =>
  (await api<{ grant: GrantView }>('POST', '/api/grants', input)).grant;
export const removeGrant = (id: number) => api<null>('DELETE', `/api/grants/${id}`);

export const getPasswordPolicy = () => api<PasswordPolicyResponse>('GET', '/api/password-policy');
export const savePasswordPolicy = (policy: PasswordPolicyView) =>
  api<PasswordPolicyResponse>('PUT', '/api/password-policy', policy);
