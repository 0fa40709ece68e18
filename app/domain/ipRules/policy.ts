import type { IpRuleRow } from '../../storage/ipRules.ts';
import { inRange, parseAddress, parseCidr, type Range } from '../../shared/cidr.ts';

// Which addresses an agent may use Parley from. There are three lists: global (every agent), per
// role, and per agent. A list with no entries allows every address; a list with entries allows
// only the addresses in it. An agent is allowed when EVERY list that applies to them allows the
// address: global AND their role's AND their own. Each level can only narrow access, never widen
// it, so an entry on an agent's own list does not exempt them from the global list.

export type RuleLevel = 'global' | 'role' | 'agent';

export type Verdict = { allowed: true } | { allowed: false; level: RuleLevel };

export interface Subject {
  agentId: number;
  role: string;
}

/** A list's ranges; `null` stands for a stored entry that no longer parses, which matches nothing. */
type List = (Range | null)[];

export interface CompiledRules {
  global: List;
  byRole: Map<string, List>;
  byAgent: Map<number, List>;
}

type RuleFields = Pick<IpRuleRow, 'scope' | 'role' | 'agent_id' | 'cidr'>;

export function compileRules(rows: readonly RuleFields[]): CompiledRules {
  const compiled: CompiledRules = { global: [], byRole: new Map(), byAgent: new Map() };
  const push = <K>(map: Map<K, List>, key: K, range: Range | null) =>
    map.set(key, [...(map.get(key) ?? []), range]);
  for (const row of rows) {
    const parsed = parseCidr(row.cidr);
    const range = parsed.ok ? parsed.range : null;
    if (row.scope === 'global') compiled.global.push(range);
    else if (row.scope === 'role' && row.role !== null) push(compiled.byRole, row.role, range);
    else if (row.scope === 'agent' && row.agent_id !== null)
      push(compiled.byAgent, row.agent_id, range);
  }
  return compiled;
}

const allows = (list: List | undefined, address: string): boolean => {
  if (!list || list.length === 0) return true;
  const parsed = parseAddress(address);
  return parsed !== null && list.some((range) => range !== null && inRange(parsed, range));
};

/** The global list alone: what can be decided before knowing who is signing in. */
export function evaluateGlobal(rules: CompiledRules, address: string): Verdict {
  return allows(rules.global, address) ? { allowed: true } : { allowed: false, level: 'global' };
}

/** Every list that applies to the agent; the first that refuses is named. */
export function evaluate(rules: CompiledRules, subject: Subject, address: string): Verdict {
  if (!allows(rules.global, address)) return { allowed: false, level: 'global' };
  if (!allows(rules.byRole.get(subject.role), address)) return { allowed: false, level: 'role' };
  if (!allows(rules.byAgent.get(subject.agentId), address))
    return { allowed: false, level: 'agent' };
  return { allowed: true };
}
