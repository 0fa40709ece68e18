import type {
  RoutingRuleInput,
  RoutingRulesResponse,
  RoutingRuleView,
} from '../../../app/shared/routing.ts';
import { api } from './api.ts';

// Admin › Routing (issue 14): each department's rule, the global one, agents' capacities.

export const listRoutingRules = () => api<RoutingRulesResponse>('GET', '/api/routing-rules');
export const saveRoutingRule = (departmentId: number | null, input: RoutingRuleInput) =>
  api<RoutingRulesResponse>(
    'PUT',
    departmentId === null
      ? '/api/routing-rules/global'
      : `/api/routing-rules/departments/${departmentId}`,
    input,
  );
export type { RoutingRuleView };
