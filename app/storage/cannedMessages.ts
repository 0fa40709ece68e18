import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// Canned messages (issue 14): every SQL statement on canned_messages.

export type CannedScopeColumn = 'personal' | 'department' | 'global';

export interface CannedRow {
  id: number;
  scope: CannedScopeColumn;
  agent_id: number | null;
  department_id: number | null;
  department_name?: string | null;
  scope_key: string;
  shortcut: string;
  title: string;
  body: string;
  created_by: number | null;
  created_at: Date;
  updated_at: Date;
}

export type NewCanned = Pick<
  CannedRow,
  | 'scope'
  | 'agent_id'
  | 'department_id'
  | 'scope_key'
  | 'shortcut'
  | 'title'
  | 'body'
  | 'created_by'
>;

/** Which canned messages to list: an agent's own, some departments', and/or the global ones. */
export interface CannedFilter {
  agentId?: number;
  departmentIds: number[];
  /** Every department's (a grant over everything). */
  allDepartments?: boolean;
  global: boolean;
}

export function cannedMessagesRepo(store: Store) {
  const db = knexOf(store);
  const base = () =>
    db('canned_messages as c')
      .leftJoin('departments as d', 'd.id', 'c.department_id')
      .select('c.*', 'd.name as department_name');
  return {
    byId: async (id: number): Promise<CannedRow | undefined> =>
      (await base().where('c.id', id).first<CannedRow | undefined>()) ?? undefined,

    list(filter: CannedFilter): Promise<CannedRow[]> {
      return base()
        .where((q) => {
          void q.whereRaw('1 = 0');
          if (filter.agentId !== undefined)
            void q.orWhere(
              (p) => void p.where({ 'c.scope': 'personal', 'c.agent_id': filter.agentId }),
            );
          if (filter.allDepartments) void q.orWhere('c.scope', 'department');
          else if (filter.departmentIds.length > 0)
            void q.orWhere(
              (p) =>
                void p
                  .where('c.scope', 'department')
                  .whereIn('c.department_id', filter.departmentIds),
            );
          if (filter.global) void q.orWhere('c.scope', 'global');
        })
        .orderBy([{ column: 'c.shortcut' }, { column: 'c.id' }]);
    },

    async insert(row: NewCanned): Promise<number> {
      const [id] = await db('canned_messages').insert(row);
      return Number(id);
    },

    update: (id: number, changes: Partial<Pick<CannedRow, 'shortcut' | 'title' | 'body'>>) =>
      db('canned_messages')
        .where({ id })
        .update({ ...changes, updated_at: db.fn.now(3) }),

    remove: (id: number) => db('canned_messages').where({ id }).delete(),

    departmentNames: async (ids: number[] | 'all'): Promise<{ id: number; name: string }[]> => {
      const query = db('departments').orderBy('name').select('id', 'name');
      if (ids !== 'all') void query.whereIn('id', ids);
      return (await query).map((row: { id: number; name: string }) => ({
        id: Number(row.id),
        name: row.name,
      }));
    },
  };
}
