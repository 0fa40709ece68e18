import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface RoleRow {
  name: string;
  description: string;
  builtin: number;
  require_totp: number;
  /** Away after this many idle minutes (issue 14); null: never. DECIMAL arrives as a string. */
  away_after_minutes: string | number | null;
  /** Chats at once routing gives an agent of this role (issue 14); null: the defaults decide. */
  default_capacity: number | null;
  created_at: Date;
}

export type RoleWithCount = RoleRow & { agent_count: number };

export function rolesRepo(store: Store) {
  const db = knexOf(store);
  return {
    list: (): Promise<RoleWithCount[]> =>
      db('roles as r')
        .leftJoin('agents as a', 'a.role', 'r.name')
        .groupBy('r.name')
        .orderBy([{ column: 'r.builtin', order: 'desc' }, 'r.name'])
        .select('r.*', db.raw('COUNT(a.id) AS agent_count')),
    byName: (name: string) => db<RoleRow>('roles').where({ name }).first(),
    insert: (row: { name: string; description: string; require_totp: boolean }) =>
      db('roles').insert({ ...row, builtin: false }),
    update: (
      name: string,
      changes: Partial<{
        description: string;
        require_totp: boolean;
        away_after_minutes: number | null;
        default_capacity: number | null;
      }>,
    ) => db('roles').where({ name }).update(changes),
    remove: (name: string) => db('roles').where({ name, builtin: false }).delete(),
    async agentCount(name: string): Promise<number> {
      const row = await db('agents').where({ role: name }).count({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },
    async agentIds(name: string): Promise<number[]> {
      return (await db('agents').where({ role: name }).pluck('id')).map(Number);
    },
  };
}
