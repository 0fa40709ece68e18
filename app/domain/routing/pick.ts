import type { CapacitySource } from '../../shared/routing.ts';
import type { AcceptGrantRow } from '../../storage/routingSnapshot.ts';
import type { RoutingMode } from '../../storage/routingRules.ts';

// The pure part of routing: who may take a chat, how many chats each agent may hold, whom to offer it.

/** Capacity when neither the agent, their department's rule nor the global rule sets one. */
export const DEFAULT_CAPACITY = 3;

export interface Candidate {
  agentId: number;
  role: string;
  /** The role's default capacity; null: none. */
  roleCapacity: number | null;
  /** Active chats plus open offers. */
  load: number;
  /** Epoch ms of the agent's last offer; 0 when never offered (the longest idle). */
  lastOfferAt: number;
}

/**
 * Whether an agent's chats.accept grants cover a waiting chat of this department, as
 * permissions/policy.ts decides it for a queued chat (no agent yet, so group scopes never cover).
 */
export function acceptCovers(
  grants: AcceptGrantRow[],
  agent: { agentId: number; role: string },
  departmentId: number | null,
): boolean {
  if (agent.role === 'admin') return true;
  return grants.some((grant) => {
    if (grant.agent_id !== agent.agentId && (grant.agent_id !== null || grant.role !== agent.role))
      return false;
    if (grant.scope === 'all') return true;
    return (
      grant.scope === 'departments' &&
      departmentId !== null &&
      grant.scope_ids.includes(departmentId)
    );
  });
}

/** The capacity defaults an agent without a limit of their own falls back on (null: unset). */
export interface CapacityDefaults {
  /** Their role's default. */
  role: number | null;
  /** The chat's department's own rule (null when the department follows the global rule). */
  department: number | null;
  /** The global rule's. */
  global: number | null;
}

/**
 * How many chats an agent may hold when offered one more: their own limit wins; else the smaller
 * of their role's and the department's defaults (either alone when only one is set); else the
 * global default; else DEFAULT_CAPACITY.
 */
export function capacityOf(
  agentId: number,
  overrides: Map<number, number>,
  defaults: CapacityDefaults,
): number {
  const own = overrides.get(agentId);
  if (own !== undefined) return own;
  const { role, department } = defaults;
  if (role !== null && department !== null) return Math.min(role, department);
  return role ?? department ?? defaults.global ?? DEFAULT_CAPACITY;
}

/**
 * An agent's capacity where the chat's department has no default of its own (as capacityOf
 * decides it), and what sets it, for Admin › Routing.
 */
export function capacitySource(
  own: number | null,
  role: number | null,
  global: number | null,
): { capacity: number; source: CapacitySource } {
  if (own !== null) return { capacity: own, source: 'own' };
  if (role !== null) return { capacity: role, source: 'role' };
  if (global !== null) return { capacity: global, source: 'global' };
  return { capacity: DEFAULT_CAPACITY, source: 'built_in' };
}

/** Whom to offer the chat among eligible agents (non-empty), by the department's mode. */
export function pickAgent(
  mode: Exclude<RoutingMode, 'manual'>,
  eligible: Candidate[],
  lastAgentId: number | null,
): Candidate {
  if (mode === 'round_robin') {
    const byId = [...eligible].sort((a, b) => a.agentId - b.agentId);
    return byId.find((c) => lastAgentId === null || c.agentId > lastAgentId) ?? byId[0]!;
  }
  // Least busy: fewest chats and offers; ties go to whoever has waited longest since their last offer.
  return [...eligible].sort(
    (a, b) => a.load - b.load || a.lastOfferAt - b.lastOfferAt || a.agentId - b.agentId,
  )[0]!;
}

/** Seconds a visitor at this position may wait, at the rate chats were taken recently; null if none were. */
export function estimatedWait(position: number, acceptedRecently: number, windowSeconds: number) {
  if (acceptedRecently === 0) return null;
  return Math.round((position * windowSeconds) / acceptedRecently);
}
