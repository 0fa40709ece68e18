import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { organisationRoutes } from '../departments/departments.routes.ts';

/** Agent groups: the same CRUD as departments (departments.manage). */
export function groupRoutes(routes: Routes, services: Services) {
  organisationRoutes(routes, services, 'group', '/api/groups');
}
