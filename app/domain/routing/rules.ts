import type {
  AgentCapacityView,
  RoutingRuleInput,
  RoutingRulesResponse,
  RoutingRuleView,
} from '../../shared/routing.ts';
import { agentsRepo } from '../../storage/agents.ts';
import { departmentsRepo } from '../../storage/departments.ts';
import {
  GLOBAL_KEY,
  routingRulesRepo,
  type AgentCapacityRow,
  type RoutingRuleRow,
} from '../../storage/routingRules.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { errors } from '../errors.ts';
import type { Grants } from '../permissions/policy.ts';
import { capacitySource } from './pick.ts';

// Admin › Routing (routing_rules.manage): each department's rule, the global rule (chats with no
// department, and departments without their own), and per-agent capacities with what sets each
// (own limit, role default, global default). Every change audited.

export interface RuleEditor {
  agent: { id: number; email: string };
  grants: Grants;
  ip?: string;
  userAgent?: string;
}

const view = (departmentId: number | null, row: RoutingRuleRow, own: boolean): RoutingRuleView => ({
  departmentId,
  own,
  mode: row.mode,
  offerTimeoutSeconds: row.offer_timeout_seconds,
  maxRefusals: row.max_refusals,
  defaultCapacity: row.default_capacity,
});

const capacityView = (row: AgentCapacityRow, global: number | null): AgentCapacityView => ({
  agentId: row.agent_id,
  name: row.name,
  email: row.email,
  role: row.role,
  maxChats: row.max_chats,
  roleCapacity: row.role_capacity,
  effective: capacitySource(row.max_chats, row.role_capacity, global),
});

/** A department's rule is covered by a grant of that department; the global rule only by an unscoped one. */
const mayEdit = (grants: Grants, departmentId: number | null) =>
  departmentId === null
    ? grants.covers('routing_rules.manage')
    : grants.covers('routing_rules.manage', { departmentId, agentId: null });

export function routingRules(db: Store, audit: AuditLog, changed: () => void) {
  const repo = routingRulesRepo(db);

  async function record(
    editor: RuleEditor,
    action: string,
    target: { kind: string; id: number | string },
    departmentId: number | null,
    details: Record<string, unknown>,
    tx: Store,
  ) {
    await audit.record(
      {
        actor: { kind: 'agent', id: editor.agent.id, label: editor.agent.email },
        action,
        target,
        departmentId,
        ip: editor.ip,
        userAgent: editor.userAgent,
        outcome: 'success',
        details,
      },
      tx,
    );
  }

  return {
    /** The rules this editor may see: their departments', and the global one with an unscoped grant. */
    async list(grants: Grants): Promise<RoutingRulesResponse> {
      const rows = new Map((await repo.all()).map((row) => [row.department_key, row]));
      const global = rows.get(GLOBAL_KEY)!;
      const rules: RoutingRuleView[] = [];
      if (mayEdit(grants, null)) rules.push(view(null, global, true));
      for (const department of await departmentsRepo(db).list()) {
        const own = rows.get(department.id);
        if (mayEdit(grants, department.id)) rules.push(view(department.id, own ?? global, !!own));
      }
      if (!mayEdit(grants, null)) return { rules, capacities: [], agents: [] };
      const agents = (await repo.agentCapacities()).map((row) =>
        capacityView(row, global.default_capacity),
      );
      const capacities = agents.flatMap((agent) =>
        agent.maxChats === null ? [] : [{ agentId: agent.agentId, maxChats: agent.maxChats }],
      );
      return { rules, capacities, agents };
    },

    async update(editor: RuleEditor, departmentId: number | null, input: RoutingRuleInput) {
      if (!mayEdit(editor.grants, departmentId))
        throw errors.forbidden('change the routing of this department');
      if (departmentId !== null && !(await departmentsRepo(db).byId(departmentId)))
        throw errors.notFound('department');
      const key = departmentId ?? GLOBAL_KEY;
      const rule = {
        mode: input.mode,
        offer_timeout_seconds: input.offerTimeoutSeconds,
        max_refusals: input.maxRefusals,
        default_capacity: input.defaultCapacity,
      };
      await transaction(db, async (tx) => {
        const before = (await routingRulesRepo(tx).all()).find((r) => r.department_key === key);
        await routingRulesRepo(tx).upsert(key, rule, editor.agent.id);
        const was = before && {
          mode: before.mode,
          offer_timeout_seconds: before.offer_timeout_seconds,
          max_refusals: before.max_refusals,
          default_capacity: before.default_capacity,
        };
        const target = { kind: 'routing_rule', id: departmentId ?? 'global' };
        await record(editor, 'routing_rule.update', target, departmentId, { was, now: rule }, tx);
      });
      changed();
    },

    /** An agent's own capacity (null: follow the defaults); an unscoped grant is needed. */
    async setCapacity(editor: RuleEditor, agentId: number, maxChats: number | null) {
      if (!mayEdit(editor.grants, null)) throw errors.forbidden("change agents' capacity");
      if (!(await agentsRepo(db).byId(agentId))) throw errors.notFound('agent');
      await transaction(db, async (tx) => {
        await routingRulesRepo(tx).setCapacity(agentId, maxChats);
        const target = { kind: 'agent', id: agentId };
        await record(editor, 'agent.capacity', target, null, { maxChats }, tx);
      });
      changed();
    },
  };
}

export type RoutingRules = ReturnType<typeof routingRules>;
