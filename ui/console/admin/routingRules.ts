import type {
  AgentCapacityView,
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
/** An agent's own capacity; null clears it (the defaults decide). */
export const setAgentCapacity = (agentId: number, maxChats: number | null) =>
  api<RoutingRulesResponse>('PUT', `/api/routing-rules/agents/${agentId}/capacity`, { maxChats });
export type { AgentCapacityView, RoutingRuleView };
