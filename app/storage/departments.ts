import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface DepartmentRow {
  id: number;
  name: string;
  description: string;
  /** What the pre-chat form calls it; null shows `name`. */
  visitor_name: string | null;
  /** Whether the pre-chat form offers it (MariaDB answers 0 or 1). */
  offered: number | boolean;
  created_at: Date;
}

/** A department as the pre-chat form offers it. */
export interface OfferedDepartmentRow {
  id: number;
  visitor_name: string;
}

export type DepartmentWithCount = DepartmentRow & { agent_count: number };

/** Departments and who belongs to them (agent_departments). */
export function departmentsRepo(store: Store) {
  const db = knexOf(store);
  return {
    list: (): Promise<DepartmentWithCount[]> =>
      db('departments as d')
        .leftJoin('agent_departments as ad', 'ad.department_id', 'd.id')
        .groupBy('d.id')
        .orderBy('d.name')
        .select('d.*', db.raw('COUNT(ad.agent_id) AS agent_count')),
    byId: (id: number) => db<DepartmentRow>('departments').where({ id }).first(),
    async existing(ids: number[]): Promise<number[]> {
      if (ids.length === 0) return [];
      return (await db('departments').whereIn('id', ids).pluck('id')).map(Number);
    },
    async insert(row: { name: string; description: string }): Promise<number> {
      const [id] = await db('departments').insert(row);
      return Number(id);
    },
    update: (id: number, changes: Partial<Pick<DepartmentRow, 'name' | 'description'>>) =>
      db('departments').where({ id }).update(changes),
    /** The departments offered to visitors, by the name they see. */
    offered: (): Promise<OfferedDepartmentRow[]> =>
      db('departments')
        .where({ offered: true })
        .select('id', db.raw('COALESCE(visitor_name, name) AS visitor_name'))
        .orderByRaw('COALESCE(visitor_name, name), id'),
    setOffer: (id: number, changes: { visitor_name: string | null; offered: boolean }) =>
      db('departments').where({ id }).update(changes),
    remove: (id: number) => db('departments').where({ id }).delete(),
    async memberIds(id: number): Promise<number[]> {
      return (await db('agent_departments').where({ department_id: id }).pluck('agent_id')).map(
        Number,
      );
    },
    async ofAgent(agentId: number): Promise<number[]> {
      return (
        await db('agent_departments').where({ agent_id: agentId }).pluck('department_id')
      ).map(Number);
    },
    async setForAgent(agentId: number, departmentIds: number[]): Promise<void> {
      await db('agent_departments').where({ agent_id: agentId }).delete();
      if (departmentIds.length > 0) {
        await db('agent_departments').insert(
          departmentIds.map((departmentId) => ({ agent_id: agentId, department_id: departmentId })),
        );
      }
    },
  };
}
