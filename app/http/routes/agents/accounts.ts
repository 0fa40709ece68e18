import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { departmentRoutes } from '../departments/departments.routes.ts';
import { groupRoutes } from '../groups/groups.routes.ts';
import { passwordRoutes } from '../password/password.routes.ts';
import { passwordPolicyRoutes } from '../passwordPolicy/passwordPolicy.routes.ts';
import { roleRoutes } from '../roles/roles.routes.ts';
import { agentRoutes } from './agents.routes.ts';

/** Accounts: agents, departments, groups, roles and grants, the password policy, own password. */
export function accountRoutes(routes: Routes, services: Services) {
  agentRoutes(routes, services);
  departmentRoutes(routes, services);
  groupRoutes(routes, services);
  roleRoutes(routes, services);
  passwordPolicyRoutes(routes, services);
  passwordRoutes(routes, services);
}
