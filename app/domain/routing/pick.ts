import type { AcceptGrantRow } from '../../storage/routingSnapshot.ts';
import type { RoutingMode } from '../../storage/routingRules.ts';

// The pure part of routing: who may take a chat, how many chats each agent may hold, whom to offer it.

/** Capacity when neither the agent, their department's rule nor the global rule sets one. */
export const DEFAULT_CAPACITY = 3;

export interface Candidate {
  agentId: number;
  role: string;
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

/** The agent's own limit wins, then the department's default, then the global default. */
export function capacityOf(
  agentId: number,
  overrides: Map<number, number>,
  departmentDefault: number | null,
  globalDefault: number | null,
): number {
  return overrides.get(agentId) ?? departmentDefault ?? globalDefault ?? DEFAULT_CAPACITY;
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
