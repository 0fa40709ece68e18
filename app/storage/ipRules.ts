import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export type IpRuleScope = 'global' | 'role' | 'agent';

export interface IpRuleRow {
  id: number;
  scope: IpRuleScope;
  role: string | null;
  agent_id: number | null;
  cidr: string;
  note: string;
  created_by: number | null;
  created_at: Date;
}

/** A rule with the names the console shows beside it. */
export interface IpRuleListRow extends IpRuleRow {
  agent_name: string | null;
  agent_email: string | null;
  created_by_name: string | null;
}

export interface AgentChoice {
  id: number;
  name: string;
  email: string;
}

export type NewIpRule = Pick<IpRuleRow, 'scope' | 'role' | 'agent_id' | 'cidr' | 'note'> & {
  created_by: number;
};

export function ipRulesRepo(store: Store) {
  const db = knexOf(store);
  return {
    all: async (): Promise<IpRuleRow[]> =>
      ((await db('ip_rules').select('*').orderBy('id')) as IpRuleRow[]).map(numeric),
    async list(): Promise<IpRuleListRow[]> {
      const rows = (await db('ip_rules as r')
        .leftJoin('agents as a', 'a.id', 'r.agent_id')
        .leftJoin('agents as c', 'c.id', 'r.created_by')
        .select(
          'r.*',
          'a.name as agent_name',
          'a.email as agent_email',
          'c.name as created_by_name',
        )
        .orderBy('r.id')) as IpRuleListRow[];
      return rows.map(numeric);
    },
    byId: async (id: number): Promise<IpRuleRow | undefined> => {
      const row = (await db('ip_rules').where({ id }).first()) as IpRuleRow | undefined;
      return row && numeric(row);
    },
    async insert(rule: NewIpRule): Promise<number> {
      const [id] = await db('ip_rules').insert(rule);
      return Number(id);
    },
    remove: (id: number) => db('ip_rules').where({ id }).delete(),
    /** Whether the same range is already listed at the same level. */
    exists: async (rule: Pick<IpRuleRow, 'scope' | 'role' | 'agent_id' | 'cidr'>) =>
      (await db('ip_rules')
        .where({ scope: rule.scope, cidr: rule.cidr })
        .andWhere((q) => {
          if (rule.scope === 'role') void q.where({ role: rule.role });
          if (rule.scope === 'agent') void q.where({ agent_id: rule.agent_id });
        })
        .first()) !== undefined,
    roleNames: async (): Promise<string[]> =>
      (await db('roles').orderBy('name').pluck('name')) as string[],
    async agentChoices(): Promise<AgentChoice[]> {
      const rows: AgentChoice[] = await db('agents').orderBy('name').select('id', 'name', 'email');
      return rows.map((row) => ({ ...row, id: Number(row.id) }));
    },
  };
}

// bigint columns come back as strings from mysql2 when large; ids here are always small numbers.
function numeric<T extends IpRuleRow>(row: T): T {
  return {
    ...row,
    id: Number(row.id),
    agent_id: row.agent_id === null ? null : Number(row.agent_id),
    created_by: row.created_by === null ? null : Number(row.created_by),
  };
}
