import type { StaleOfferRow } from './chatOffers.ts';
import { knexOf } from './db.ts';
import type { RoutingMode, RoutingRuleRow } from './routingRules.ts';
import type { Store } from './store.ts';

// Everything a routing decision reads before it looks at waiting chats, in one statement: the open
// offers to close, the online agents with their load, the rules, capacities, departments and accept
// grants. Each part is a JSON array, so the decision pays one round trip instead of seven (at 200
// agents the round trips, not the reads, were most of a decision's time under the routing lock).

/** An online agent with what routing needs: load (active chats + open offers) and idle time. */
export interface CandidateRow {
  agent_id: number;
  role: string;
  /** The role's default capacity (roles.default_capacity); null: none. */
  role_capacity: number | null;
  active_chats: number;
  open_offers: number;
  last_offer_at: Date | null;
}

/** A department's rule as a decision reads it; `department_key` 0 is the global rule. */
export type DecisionRule = Pick<
  RoutingRuleRow,
  | 'department_key'
  | 'mode'
  | 'offer_timeout_seconds'
  | 'max_refusals'
  | 'default_capacity'
  | 'last_agent_id'
>;

export interface AcceptGrantRow {
  role: string | null;
  agent_id: number | null;
  scope: 'all' | 'departments' | 'groups';
  scope_ids: number[];
}

export interface RoutingSnapshot {
  /** Open offers that ran out, or whose chat stopped waiting. */
  stale: StaleOfferRow[];
  candidates: CandidateRow[];
  rules: DecisionRule[];
  /** Per-agent capacity overrides. */
  capacities: Map<number, number>;
  departmentIds: number[];
  /** Every chats.accept grant (few: per role and per agent). */
  grants: AcceptGrantRow[];
}

const SNAPSHOT_SQL = `SELECT
  (SELECT JSON_ARRAYAGG(JSON_OBJECT('id', o.id, 'chat_id', o.chat_id, 'agent_id', o.agent_id,
     'offered_at', o.offered_at, 'expires_at', o.expires_at, 'chat_status', c.status,
     'chat_department_id', c.department_id))
   FROM chat_offers o JOIN chats c ON c.id = o.chat_id
   WHERE o.outcome IS NULL AND (o.expires_at <= NOW(3) OR c.status <> 'queued')) AS stale,
  (SELECT JSON_ARRAYAGG(JSON_OBJECT('agent_id', p.agent_id, 'role', a.role,
     'role_capacity', r.default_capacity, 'active_chats', COALESCE(ac.n, 0), 'open_offers', COALESCE(oo.n, 0), 'last_offer_at', lo.at))
   FROM agent_presence p JOIN agents a ON a.id = p.agent_id
   LEFT JOIN roles r ON r.name = a.role
   LEFT JOIN (SELECT agent_id, COUNT(*) AS n FROM chats WHERE status = 'active'
       AND agent_id IN (SELECT agent_id FROM agent_presence WHERE status = 'online')
       GROUP BY agent_id) ac ON ac.agent_id = p.agent_id
   LEFT JOIN (SELECT agent_id, COUNT(*) AS n FROM chat_offers WHERE outcome IS NULL
       GROUP BY agent_id) oo ON oo.agent_id = p.agent_id
   -- Unfiltered, MariaDB reads this from the (agent_id, offered_at) index, one dive per agent
   -- ever offered ("Using index for group-by"), however long the offer history grows.
   LEFT JOIN (SELECT agent_id, MAX(offered_at) AS at FROM chat_offers
       GROUP BY agent_id) lo ON lo.agent_id = p.agent_id
   WHERE p.status = 'online' AND a.active = 1) AS candidates,
  (SELECT JSON_ARRAYAGG(JSON_OBJECT('department_key', department_key, 'mode', mode,
     'offer_timeout_seconds', offer_timeout_seconds, 'max_refusals', max_refusals,
     'default_capacity', default_capacity, 'last_agent_id', last_agent_id))
   FROM routing_rules) AS rules,
  (SELECT JSON_ARRAYAGG(JSON_OBJECT('agent_id', agent_id, 'max_chats', max_chats))
   FROM agent_capacity) AS capacities,
  (SELECT JSON_ARRAYAGG(id) FROM departments) AS departments,
  (SELECT JSON_ARRAYAGG(JSON_OBJECT('role', role, 'agent_id', agent_id, 'scope', scope,
     'scope_ids', scope_ids))
   FROM permission_grants WHERE permission = 'chats.accept') AS grants`;

const json = (raw: unknown): unknown => (typeof raw === 'string' ? JSON.parse(raw) : raw);
const list = <T>(raw: unknown): T[] => {
  const value = json(raw);
  return Array.isArray(value) ? (value as T[]) : [];
};
const ids = (raw: unknown): number[] => list<unknown>(raw).map(Number).filter(Number.isInteger);
const orNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
/** A DATETIME inside JSON comes as text ("2026-12-07 20:45:01.123"), in UTC like every column. */
const time = (value: unknown) =>
  typeof value === 'string' ? new Date(`${value.replace(' ', 'T')}Z`) : null;

type Raw<T> = { [K in keyof T]: unknown };

/** Read inside the transaction that holds the routing lock. */
export async function routingSnapshot(store: Store): Promise<RoutingSnapshot> {
  const [[row]] = (await knexOf(store).raw(SNAPSHOT_SQL)) as [Record<string, unknown>[]];
  return {
    stale: list<Raw<StaleOfferRow>>(row?.stale).map((offer) => ({
      id: Number(offer.id),
      chat_id: Number(offer.chat_id),
      agent_id: Number(offer.agent_id),
      offered_at: time(offer.offered_at)!,
      expires_at: time(offer.expires_at)!,
      outcome: null,
      reason: null,
      decided_at: null,
      chat_status: String(offer.chat_status),
      chat_department_id: orNull(offer.chat_department_id),
    })),
    candidates: list<Raw<CandidateRow>>(row?.candidates).map((agent) => ({
      agent_id: Number(agent.agent_id),
      role: String(agent.role),
      role_capacity: orNull(agent.role_capacity),
      active_chats: Number(agent.active_chats),
      open_offers: Number(agent.open_offers),
      last_offer_at: time(agent.last_offer_at),
    })),
    rules: list<Raw<DecisionRule>>(row?.rules).map((rule) => ({
      department_key: Number(rule.department_key),
      mode: rule.mode as RoutingMode,
      offer_timeout_seconds: Number(rule.offer_timeout_seconds),
      max_refusals: Number(rule.max_refusals),
      default_capacity: orNull(rule.default_capacity),
      last_agent_id: orNull(rule.last_agent_id),
    })),
    capacities: new Map(
      list<{ agent_id: unknown; max_chats: unknown }>(row?.capacities).map((c) => [
        Number(c.agent_id),
        Number(c.max_chats),
      ]),
    ),
    departmentIds: ids(row?.departments),
    grants: list<Raw<AcceptGrantRow>>(row?.grants).map((grant) => ({
      role: typeof grant.role === 'string' ? grant.role : null,
      agent_id: orNull(grant.agent_id),
      scope: grant.scope as AcceptGrantRow['scope'],
      scope_ids: ids(grant.scope_ids),
    })),
  };
}
