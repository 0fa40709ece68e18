import type { ScopeFilter } from './scope.ts';
import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// Legal holds on chats and visitors (the columns legal_hold*, migrations 20261122150000–170100).

export type HoldKind = 'chat' | 'visitor';

const TABLE: Record<HoldKind, 'chats' | 'visitors'> = { chat: 'chats', visitor: 'visitors' };

export interface HoldRow {
  id: number | string;
  department_id?: number | null;
  visitor_name: string | null;
  legal_hold_reason: string | null;
  legal_hold_at: Date | null;
  legal_hold_by: number | null;
}

const COLUMNS = ['legal_hold_reason', 'legal_hold_at', 'legal_hold_by'] as const;
const SELECT: Record<HoldKind, string[]> = {
  chat: ['id', 'department_id', 'visitor_name', ...COLUMNS],
  visitor: ['id', 'name as visitor_name', ...COLUMNS],
};

export function legalHoldsRepo(store: Store) {
  const db = knexOf(store);
  return {
    /** The names of the agents who placed the holds, in one query. */
    async agentNames(rows: HoldRow[]): Promise<Map<number, string>> {
      const ids = [
        ...new Set(
          rows.flatMap((row) => (row.legal_hold_by == null ? [] : [Number(row.legal_hold_by)])),
        ),
      ];
      if (ids.length === 0) return new Map();
      const agents = await db('agents')
        .whereIn('id', ids)
        .select<{ id: number; name: string }[]>('id', 'name');
      return new Map(agents.map((agent) => [Number(agent.id), agent.name]));
    },

    async chatOwner(
      id: number,
    ): Promise<{ department_id: number | null; agent_id: number | null } | undefined> {
      return db('chats')
        .where({ id })
        .first<{ department_id: number | null; agent_id: number | null } | undefined>(
          'department_id',
          'agent_id',
        );
    },

    /** Locks the held record; false when there is none. */
    async lock(kind: HoldKind, id: number | string): Promise<boolean> {
      const row: unknown = await db(TABLE[kind]).where({ id }).forUpdate().first('id');
      return row !== undefined;
    },

    /** Places (with its reason and who) or lifts the hold; returns the record as now held. */
    async set(kind: HoldKind, id: number | string, hold: { reason: string; by: number } | null) {
      await db(TABLE[kind])
        .where({ id })
        .update(
          hold
            ? {
                legal_hold: 1,
                legal_hold_reason: hold.reason,
                legal_hold_at: new Date(),
                legal_hold_by: hold.by,
              }
            : { legal_hold: 0, legal_hold_reason: null, legal_hold_at: null, legal_hold_by: null },
        );
      return (await db(TABLE[kind])
        .where({ id })
        .first<HoldRow | undefined>(...SELECT[kind]))!;
    },

    chat: (id: number) =>
      db('chats')
        .where({ id })
        .first<(HoldRow & { legal_hold: number; visitor_id: string }) | undefined>(
          'legal_hold',
          'visitor_id',
          ...SELECT.chat,
        ),

    heldVisitor: (id: string) =>
      db('visitors')
        .where({ id, legal_hold: 1 })
        .first<HoldRow | undefined>(...SELECT.visitor),

    /** Held chats within the scope. */
    heldChats(scope: ScopeFilter): Promise<HoldRow[]> {
      const chats = db('chats')
        .where('legal_hold', 1)
        .orderBy('id')
        .select<HoldRow[]>(...SELECT.chat);
      if (!scope.all) {
        void chats.where((q) => {
          void q.whereIn('department_id', scope.departmentIds);
          if (scope.agentIds.length > 0) void q.orWhereIn('agent_id', scope.agentIds);
        });
      }
      return chats;
    },

    heldVisitors: (): Promise<HoldRow[]> =>
      db('visitors')
        .where('legal_hold', 1)
        .orderBy('id')
        .select<HoldRow[]>(...SELECT.visitor),
  };
}
