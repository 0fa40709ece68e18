import type { AgentRow } from '../../storage/agents.ts';
import { transaction, type Store } from '../../storage/store.ts';
import { ipRulesRepo, type IpRuleRow, type IpRuleScope } from '../../storage/ipRules.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { errors } from '../errors.ts';
import {
  compileRules,
  evaluate,
  evaluateGlobal,
  type CompiledRules,
  type Subject,
  type Verdict,
} from './policy.ts';

/** How long compiled rules are reused before they are read again (a change here clears them at once). */
export const RULES_TTL_MS = 5_000;

export interface RuleChange {
  scope: IpRuleScope;
  role: string | null;
  agentId: number | null;
  /** Canonical CIDR (see `parseCidr`). */
  cidr: string;
  note: string;
}

/** Who is making a change, from where: the lock-out check and the audit entry need both. */
export interface Editor {
  agent: AgentRow;
  ip: string;
  userAgent: string;
  confirmLockout: boolean;
}

const subjectOf = (agent: Pick<AgentRow, 'id' | 'role'>): Subject => ({
  agentId: agent.id,
  role: agent.role,
});

/**
 * The IP allow-lists: compiled once and kept in memory for a few seconds, so the check on every
 * agent request and socket costs no query; every change clears the cache and tells listeners
 * (the agent socket namespace re-checks its live sockets).
 */
export function ipRulesService(db: Store, audit: AuditLog, ttlMs = RULES_TTL_MS) {
  let cached: { rules: CompiledRules; at: number } | null = null;
  let loading: Promise<CompiledRules> | null = null;
  let generation = 0;
  const listeners = new Set<() => void>();

  function current(): Promise<CompiledRules> {
    if (cached && Date.now() - cached.at < ttlMs) return Promise.resolve(cached.rules);
    if (!loading) {
      const started = generation;
      loading = ipRulesRepo(db)
        .all()
        .then((rows) => {
          const rules = compileRules(rows);
          // A change made while this read ran must not be papered over by the older read.
          if (started === generation) cached = { rules, at: Date.now() };
          return rules;
        })
        .finally(() => {
          loading = null;
        });
    }
    return loading;
  }

  function changed(): void {
    generation += 1;
    cached = null;
    loading = null;
    for (const listener of listeners) listener();
  }

  const editorActor = (editor: Editor) => ({
    kind: 'agent' as const,
    id: editor.agent.id,
    label: editor.agent.email,
  });
  const detailsOf = (rule: RuleChange | IpRuleRow) => ({
    scope: rule.scope,
    role: rule.role,
    agentId: 'agentId' in rule ? rule.agentId : rule.agent_id,
    cidr: rule.cidr,
    note: rule.note,
  });

  /** Refuses (and audits the refusal) a change that would shut the editor out, unless confirmed. */
  async function guardLockout(
    editor: Editor,
    after: CompiledRules,
    action: string,
    rule: RuleChange | IpRuleRow,
  ) {
    const verdict = evaluate(after, subjectOf(editor.agent), editor.ip);
    if (verdict.allowed) return false;
    if (editor.confirmLockout) return true;
    await audit.record({
      actor: editorActor(editor),
      action,
      outcome: 'denied',
      target: 'id' in rule ? { kind: 'ip_rule', id: rule.id } : undefined,
      ip: editor.ip,
      userAgent: editor.userAgent,
      details: { ...detailsOf(rule), reason: 'would_lock_out_self', level: verdict.level },
    });
    throw errors.wouldLockOutSelf(editor.ip);
  }

  return {
    /** Whether the agent may use Parley from this address. */
    check: async (agent: Pick<AgentRow, 'id' | 'role'>, address: string): Promise<Verdict> =>
      evaluate(await current(), subjectOf(agent), address),
    /** The global list only: decided before the account is known (sign-in). */
    checkGlobal: async (address: string): Promise<Verdict> =>
      evaluateGlobal(await current(), address),

    list: () => ipRulesRepo(db).list(),
    choices: async () => {
      const repo = ipRulesRepo(db);
      const [roles, agents] = await Promise.all([repo.roleNames(), repo.agentChoices()]);
      return { roles, agents };
    },

    /** Adds a rule, refusing one that would lock the editor out unless they confirmed it. */
    async add(rule: RuleChange, editor: Editor): Promise<number> {
      const repo = ipRulesRepo(db);
      if (rule.scope === 'role' && !(await repo.roleNames()).includes(rule.role ?? '')) {
        throw errors.invalidInput(`role: there is no role named "${rule.role}"`);
      }
      if (
        rule.scope === 'agent' &&
        !(await repo.agentChoices()).some((a) => a.id === rule.agentId)
      ) {
        throw errors.invalidInput(`agentId: there is no agent with id ${rule.agentId}`);
      }
      const row = { scope: rule.scope, role: rule.role, agent_id: rule.agentId, cidr: rule.cidr };
      if (await repo.exists(row)) throw errors.ipRuleExists();
      const after = compileRules([...(await repo.all()), row]);
      const confirmed = await guardLockout(editor, after, 'ip_rule.add', rule);
      const id = await transaction(db, async (trx) => {
        const inserted = await ipRulesRepo(trx).insert({
          ...row,
          note: rule.note,
          created_by: editor.agent.id,
        });
        await audit.record(
          {
            actor: editorActor(editor),
            action: 'ip_rule.add',
            outcome: 'success',
            target: { kind: 'ip_rule', id: inserted },
            ip: editor.ip,
            userAgent: editor.userAgent,
            details: { ...detailsOf(rule), confirmedLockout: confirmed },
          },
          trx,
        );
        return inserted;
      });
      changed();
      return id;
    },

    /** Removes a rule; removing one entry of a list narrows that list, so it can lock out too. */
    async remove(id: number, editor: Editor): Promise<void> {
      const repo = ipRulesRepo(db);
      const rule = await repo.byId(id);
      if (!rule) throw errors.notFound('IP rule');
      const after = compileRules((await repo.all()).filter((row) => row.id !== id));
      const confirmed = await guardLockout(editor, after, 'ip_rule.remove', rule);
      await transaction(db, async (trx) => {
        const removed = await ipRulesRepo(trx).remove(id);
        if (removed === 0) throw errors.notFound('IP rule');
        await audit.record(
          {
            actor: editorActor(editor),
            action: 'ip_rule.remove',
            outcome: 'success',
            target: { kind: 'ip_rule', id },
            ip: editor.ip,
            userAgent: editor.userAgent,
            details: { ...detailsOf(rule), confirmedLockout: confirmed },
          },
          trx,
        );
      });
      changed();
    },

    /** Calls the listener after every change; returns the unsubscribe. */
    onChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Forgets the cached rules (after a change made outside this process, e.g. in tests). */
    invalidate: changed,
  };
}

export type IpRules = ReturnType<typeof ipRulesService>;
