import { chatOffersRepo, type ChatOfferRow, type StaleOfferRow } from '../../storage/chatOffers.ts';
import { GLOBAL_KEY, routingRulesRepo } from '../../storage/routingRules.ts';
import { routingSnapshot, type DecisionRule } from '../../storage/routingSnapshot.ts';
import { routingStateRepo, type WaitingChatRow } from '../../storage/routingState.ts';
import type { Store } from '../../storage/store.ts';
import { acceptCovers, capacityOf, pickAgent, type Candidate } from './pick.ts';

// One routing decision, inside the transaction that holds the routing lock: close stale offers, then
// offer the longest-waiting chats to agents below capacity. Nothing here runs outside that lock.

export interface MadeOffer {
  offer: ChatOfferRow;
  departmentId: number | null;
  visitorName: string | null;
  question: string | null;
  waitingSince: Date;
  timeoutSeconds: number;
}

export interface Decision {
  offers: MadeOffer[];
  closed: (StaleOfferRow & { outcome: 'timed_out' | 'withdrawn' })[];
  /** Departments whose waiting chats changed (null: no department). */
  departments: Set<number | null>;
}

/** The rule a chat of this department follows: its own, else the global one. */
export function ruleFor<R extends DecisionRule>(
  rules: Map<number, R>,
  departmentId: number | null,
) {
  return rules.get(departmentId ?? GLOBAL_KEY) ?? rules.get(GLOBAL_KEY)!;
}

/**
 * Reads the rules once and answers whether routing gave up on a waiting chat: refused or left
 * unanswered as often as its department's rule allows, it waits in the manual queue, flagged.
 */
export async function givenUpRule(store: Store) {
  const rules = new Map((await routingRulesRepo(store).all()).map((r) => [r.department_key, r]));
  return (departmentId: number | null, declines: number) =>
    declines >= ruleFor(rules, departmentId).max_refusals;
}

/** Closes the open offers that ran out or whose chat stopped waiting. */
async function closeStale(tx: Store, stale: StaleOfferRow[], decision: Decision): Promise<void> {
  const offers = chatOffersRepo(tx);
  for (const row of stale) {
    const outcome = row.chat_status === 'queued' ? 'timed_out' : 'withdrawn';
    const reason = outcome === 'timed_out' ? 'not answered in time' : 'the chat stopped waiting';
    if (await offers.decide(row.id, outcome, reason)) decision.closed.push({ ...row, outcome });
  }
}

export async function decide(tx: Store): Promise<Decision> {
  const decision: Decision = { offers: [], closed: [], departments: new Set() };
  const snapshot = await routingSnapshot(tx);
  await closeStale(tx, snapshot.stale, decision);
  for (const row of decision.closed) decision.departments.add(row.chat_department_id);
  if (snapshot.candidates.length === 0) return decision;
  const { grants, capacities: overrides } = snapshot;
  const rules = new Map(snapshot.rules.map((rule) => [rule.department_key, rule]));
  const global = rules.get(GLOBAL_KEY)!;
  const state = routingStateRepo(tx);
  // The snapshot counted the offers just closed as load.
  const closedFor = (agentId: number) =>
    decision.closed.filter((r) => r.agent_id === agentId).length;
  const candidates: Candidate[] = snapshot.candidates.map((row) => ({
    agentId: row.agent_id,
    role: row.role,
    roleCapacity: row.role_capacity,
    load: row.active_chats + row.open_offers - closedFor(row.agent_id),
    lastOfferAt: row.last_offer_at?.getTime() ?? 0,
  }));
  // A department that follows the global rule has no default of its own (the global one is the fallback).
  const capacity = (c: Candidate, rule: DecisionRule) =>
    capacityOf(c.agentId, overrides, {
      role: c.roleCapacity,
      department: rule.department_key === GLOBAL_KEY ? null : rule.default_capacity,
      global: global.default_capacity,
    });

  // Per automatic department, as many of its oldest waiting chats as its agents have free places
  // (a department nobody can take from never holds back another); then oldest first across all.
  const waiting: WaitingChatRow[] = [];
  for (const departmentId of [null, ...snapshot.departmentIds]) {
    const rule = ruleFor(rules, departmentId);
    if (rule.mode === 'manual') continue;
    const free = candidates
      .filter((c) => acceptCovers(grants, c, departmentId))
      .reduce((sum, c) => sum + Math.max(0, capacity(c, rule) - c.load), 0);
    if (free > 0)
      waiting.push(...(await state.waiting(departmentId, rule.max_refusals, free + 10)));
  }
  waiting.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id - b.id);

  for (const chat of waiting) {
    const rule = ruleFor(rules, chat.department_id);
    if (rule.mode === 'manual') continue;
    const eligible = candidates.filter(
      (c) =>
        !chat.declined_by.includes(c.agentId) &&
        c.load < capacity(c, rule) &&
        acceptCovers(grants, c, chat.department_id),
    );
    if (eligible.length === 0) continue;
    const chosen = pickAgent(rule.mode, eligible, rule.last_agent_id);
    const offer = await chatOffersRepo(tx).insert(
      chat.id,
      chosen.agentId,
      rule.offer_timeout_seconds,
    );
    chosen.load += 1;
    chosen.lastOfferAt = offer.offered_at.getTime();
    if (rule.mode === 'round_robin') {
      await routingRulesRepo(tx).setLastAgent(rule.department_key, chosen.agentId);
      rule.last_agent_id = chosen.agentId;
    }
    decision.offers.push({
      offer,
      departmentId: chat.department_id,
      visitorName: chat.visitor_name,
      question: chat.question,
      waitingSince: chat.created_at,
      timeoutSeconds: rule.offer_timeout_seconds,
    });
    decision.departments.add(chat.department_id);
  }
  return decision;
}
