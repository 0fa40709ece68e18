// Routing on the wire (issue 14): offers to agents, and the rules admins edit. Types, and the
// capacity limits the console and the server both check.

/** The largest default capacity of a role, and the largest limit of an agent's own. */
export const ROLE_CAPACITY_MAX = 50;
export const AGENT_CAPACITY_MAX = 100;

export type RoutingModeView = 'manual' | 'round_robin' | 'least_busy';

/** `offer:new`: a chat offered to this agent; accept with `chat:accept`, or `chat:refuse`. */
export interface OfferView {
  offerId: number;
  chatId: number;
  departmentId: number | null;
  visitorName: string | null;
  question: string | null;
  waitingSince: string;
  offeredAt: string;
  expiresAt: string;
  timeoutSeconds: number;
}

/** `offer:closed`: an offer to this agent ended (accepted, refused, timed out or withdrawn). */
export interface OfferClosedView {
  offerId: number;
  chatId: number;
  outcome: 'accepted' | 'refused' | 'timed_out' | 'withdrawn';
}

export interface RefuseInput {
  chatId: number;
  reason: string;
}

/** A department's routing rule; `departmentId` null is the rule for chats with no department. */
export interface RoutingRuleView {
  departmentId: number | null;
  /** Whether the department has a rule of its own (otherwise it follows the global one). */
  own: boolean;
  mode: RoutingModeView;
  offerTimeoutSeconds: number;
  maxRefusals: number;
  defaultCapacity: number | null;
}

export interface RoutingRuleInput {
  mode: RoutingModeView;
  offerTimeoutSeconds: number;
  maxRefusals: number;
  defaultCapacity: number | null;
}

/** What sets an agent's capacity where the chat's department has no default of its own. */
export type CapacitySource = 'own' | 'role' | 'global' | 'built_in';

/** One active agent in Admin › Routing's "Agents' capacity" table. */
export interface AgentCapacityView {
  agentId: number;
  name: string;
  email: string;
  role: string;
  /** Their own limit; null: the defaults decide. */
  maxChats: number | null;
  /** Their role's default; null: none. */
  roleCapacity: number | null;
  /** Their capacity, and what sets it; a department's own smaller default lowers a role's. */
  effective: { capacity: number; source: CapacitySource };
}

/** GET /api/routing-rules */
export interface RoutingRulesResponse {
  rules: RoutingRuleView[];
  /** Per-agent capacity overrides (they win over the role's, department's and global defaults). */
  capacities: { agentId: number; maxChats: number }[];
  /** Every active agent with their capacity (an unscoped grant only, as for the overrides). */
  agents: AgentCapacityView[];
}

/** Routing's events to agent sockets (part of AgentServerEvents). */
export interface RoutingServerEvents {
  'offer:new': (offer: OfferView) => void;
  'offer:closed': (closed: OfferClosedView) => void;
}

/** The same shape as protocol.ts's AckFn (which imports this file, so it cannot be imported here). */
type AckFn<T> = (
  reply:
    ({ ok: true } & T) | { ok: false; error: { id: string; message: string; retryAfter?: number } },
) => void;

/** Routing's events from agent sockets (part of AgentClientEvents); accepting is `chat:accept`. */
export interface RoutingClientEvents {
  'chat:refuse': (input: RefuseInput, ack: AckFn<Record<string, never>>) => void;
  'offer:list': (input: Record<string, never>, ack: AckFn<{ offers: OfferView[] }>) => void;
}
