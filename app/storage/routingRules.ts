import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export type RoutingMode = 'manual' | 'round_robin' | 'least_busy';

/** A department's routing rule; `department_key` 0 is the rule for chats with no department. */
export interface RoutingRuleRow {
  department_key: number;
  mode: RoutingMode;
  offer_timeout_seconds: number;
  max_refusals: number;
  default_capacity: number | null;
  last_agent_id: number | null;
  updated_by: number | null;
  updated_at: Date;
}

export const GLOBAL_KEY = 0;

/** An active agent with their own limit and their role's default (null: unset). */
export interface AgentCapacityRow {
  agent_id: number;
  name: string;
  email: string;
  role: string;
  max_chats: number | null;
  role_capacity: number | null;
}

const orNull = (value: unknown) => (value === null ? null : Number(value));

const normalize = (row: RoutingRuleRow): RoutingRuleRow => ({
  ...row,
  department_key: Number(row.department_key),
  last_agent_id: row.last_agent_id === null ? null : Number(row.last_agent_id),
  updated_by: row.updated_by === null ? null : Number(row.updated_by),
});

export function routingRulesRepo(store: Store) {
  const db = knexOf(store);
  return {
    /** The global row exists (outside any transaction: an insert that meets a row takes a shared lock). */
    ensureGlobal: () =>
      db.raw('INSERT IGNORE INTO routing_rules (department_key) VALUES (?)', [GLOBAL_KEY]),
    /**
     * Takes the routing lock: every decision that offers, accepts or frees a chat holds the global
     * row FOR UPDATE until its transaction ends. Must be the transaction's first read.
     */
    async lock(): Promise<boolean> {
      const rows = (await db('routing_rules')
        .where({ department_key: GLOBAL_KEY })
        .forUpdate()
        .select('department_key')) as unknown[];
      return rows.length === 1;
    },
    async all(): Promise<RoutingRuleRow[]> {
      return ((await db('routing_rules').select('*')) as RoutingRuleRow[]).map(normalize);
    },
    async upsert(
      key: number,
      rule: Pick<
        RoutingRuleRow,
        'mode' | 'offer_timeout_seconds' | 'max_refusals' | 'default_capacity'
      >,
      updatedBy: number,
    ): Promise<void> {
      await db('routing_rules')
        .insert({ department_key: key, ...rule, updated_by: updatedBy, updated_at: new Date() })
        .onConflict('department_key')
        .merge([
          'mode',
          'offer_timeout_seconds',
          'max_refusals',
          'default_capacity',
          'updated_by',
          'updated_at',
        ]);
    },
    setLastAgent: (key: number, agentId: number) =>
      db('routing_rules').where({ department_key: key }).update({ last_agent_id: agentId }),
    /** Every active agent, by name, with their own limit and their role's default. */
    async agentCapacities(): Promise<AgentCapacityRow[]> {
      const rows: AgentCapacityRow[] = await db('agents as a')
        .leftJoin('agent_capacity as c', 'c.agent_id', 'a.id')
        .leftJoin('roles as r', 'r.name', 'a.role')
        .where('a.active', 1)
        .orderBy('a.name')
        .orderBy('a.id')
        .select(
          'a.id as agent_id',
          'a.name',
          'a.email',
          'a.role',
          'c.max_chats',
          'r.default_capacity as role_capacity',
        );
      return rows.map((row) => ({
        ...row,
        agent_id: Number(row.agent_id),
        max_chats: orNull(row.max_chats),
        role_capacity: orNull(row.role_capacity),
      }));
    },
    async setCapacity(agentId: number, maxChats: number | null): Promise<void> {
      if (maxChats === null) await db('agent_capacity').where({ agent_id: agentId }).delete();
      else
        await db('agent_capacity')
          .insert({ agent_id: agentId, max_chats: maxChats })
          .onConflict('agent_id')
          .merge(['max_chats']);
    },
  };
}
