import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface AgentGroupRow {
  id: number;
  name: string;
  description: string;
  created_at: Date;
}

export type AgentGroupWithCount = AgentGroupRow & { agent_count: number };

/** Agent groups and their members (agent_group_members). */
export function groupsRepo(store: Store) {
  const db = knexOf(store);
  return {
    list: (): Promise<AgentGroupWithCount[]> =>
      db('agent_groups as g')
        .leftJoin('agent_group_members as m', 'm.group_id', 'g.id')
        .groupBy('g.id')
        .orderBy('g.name')
        .select('g.*', db.raw('COUNT(m.agent_id) AS agent_count')),
    byId: (id: number) => db<AgentGroupRow>('agent_groups').where({ id }).first(),
    async existing(ids: number[]): Promise<number[]> {
      if (ids.length === 0) return [];
      return (await db('agent_groups').whereIn('id', ids).pluck('id')).map(Number);
    },
    async insert(row: { name: string; description: string }): Promise<number> {
      const [id] = await db('agent_groups').insert(row);
      return Number(id);
    },
    update: (id: number, changes: Partial<Pick<AgentGroupRow, 'name' | 'description'>>) =>
      db('agent_groups').where({ id }).update(changes),
    remove: (id: number) => db('agent_groups').where({ id }).delete(),
    async memberIds(id: number): Promise<number[]> {
      return (await db('agent_group_members').where({ group_id: id }).pluck('agent_id')).map(
        Number,
      );
    },
    async ofAgent(agentId: number): Promise<number[]> {
      return (await db('agent_group_members').where({ agent_id: agentId }).pluck('group_id')).map(
        Number,
      );
    },
    async setForAgent(agentId: number, groupIds: number[]): Promise<void> {
      await db('agent_group_members').where({ agent_id: agentId }).delete();
      if (groupIds.length > 0) {
        await db('agent_group_members').insert(
          groupIds.map((groupId) => ({ agent_id: agentId, group_id: groupId })),
        );
      }
    },
  };
}
