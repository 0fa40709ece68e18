import type { Knex } from 'knex';
import { auditRowQuery, type AuditRow, type Outcome } from './auditEvents.ts';
import type { ScopeFilter } from './scope.ts';
import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// Searching and exporting the audit log: the filters as SQL (app/domain/audit/auditSearch.ts says
// what they mean to a person).

/** What an audit search or export is narrowed to; every field is optional. */
export interface AuditFilters {
  from?: Date;
  to?: Date;
  /** An agent id (digits) or part of the actor's label. */
  actor?: string;
  /** An exact action, or a prefix ending in `.` or `*` (`agent.` matches `agent.create`). */
  action?: string;
  departmentId?: number;
  outcome?: Outcome;
  /** Part of the actor's label, the action, the target, the source address or the details. */
  q?: string;
  /** Source addresses: entries from any of them. */
  addresses?: string[];
}

/** `column LIKE %text%` with the wildcards in text taken literally. */
function contains(column: string, text: string): [string, string[]] {
  return [`${column} LIKE ? ESCAPE '!'`, [`%${text.replace(/[!%_]/g, '!$&')}%`]];
}

/** Narrows a query on audit_events to the filters and to what the viewer's grant covers. */
export function applyFilters(
  query: Knex.QueryBuilder,
  filters: AuditFilters,
  scope: ScopeFilter,
): Knex.QueryBuilder {
  if (filters.from) void query.where('at', '>=', filters.from);
  if (filters.to) void query.where('at', '<=', filters.to);
  if (filters.actor !== undefined) {
    if (/^\d+$/.test(filters.actor)) {
      void query.where({ actor_kind: 'agent', actor_id: Number(filters.actor) });
    } else void query.whereRaw(...contains('actor_label', filters.actor));
  }
  if (filters.action !== undefined) {
    const prefix = /^(.*?)\*$/.exec(filters.action)?.[1] ?? filters.action;
    if (filters.action.endsWith('*') || filters.action.endsWith('.')) {
      void query.whereRaw(`action LIKE ? ESCAPE '!'`, [`${prefix.replace(/[!%_]/g, '!$&')}%`]);
    } else void query.where('action', filters.action);
  }
  if (filters.departmentId !== undefined) void query.where('department_id', filters.departmentId);
  if (filters.outcome) void query.where('outcome', filters.outcome);
  if (filters.addresses !== undefined) void query.whereIn('ip', filters.addresses);
  if (filters.q !== undefined) {
    const q = filters.q;
    void query.where((any) => {
      for (const column of ['actor_label', 'action', 'target_kind', 'target_id', 'ip']) {
        void any.orWhereRaw(...contains(column, q));
      }
      // JSON columns compare as binary: compare the text case-insensitively like the rest.
      void any.orWhereRaw(...contains('CAST(details AS CHAR) COLLATE utf8mb4_unicode_ci', q));
    });
  }
  if (!scope.all) {
    // A grant limited to departments sees their entries; one limited to groups, their members'.
    void query.where((inScope) => {
      void inScope.whereIn('department_id', scope.departmentIds);
      if (scope.agentIds.length > 0) {
        void inScope.orWhere((actor) => {
          void actor.where('actor_kind', 'agent').whereIn('actor_id', scope.agentIds);
        });
      }
    });
  }
  return query;
}

export function auditSearchRepo(store: Store) {
  const db = knexOf(store);
  return {
    /** One page, newest first, older than `before` when given. */
    async page(
      filters: AuditFilters,
      scope: ScopeFilter,
      page: { before?: number; limit: number },
    ): Promise<{ rows: AuditRow[]; nextBefore: number | null }> {
      const query = applyFilters(auditRowQuery(db), filters, scope)
        .orderBy('id', 'desc')
        .limit(page.limit + 1);
      if (page.before !== undefined) void query.where('id', '<', page.before);
      const rows = (await query) as AuditRow[];
      const more = rows.length > page.limit;
      const shown = rows.slice(0, page.limit);
      return { rows: shown, nextBefore: more ? (shown.at(-1)?.id ?? null) : null };
    },

    /** Every matching entry up to `upTo`, oldest first, fetched a page at a time (never all at once). */
    async *each(
      filters: AuditFilters,
      scope: ScopeFilter,
      upTo: number,
      pageSize = 500,
    ): AsyncGenerator<AuditRow> {
      let after = 0;
      for (;;) {
        const rows = (await applyFilters(auditRowQuery(db), filters, scope)
          .where('id', '>', after)
          .where('id', '<=', upTo)
          .orderBy('id')
          .limit(pageSize)) as AuditRow[];
        yield* rows;
        if (rows.length < pageSize) return;
        after = rows.at(-1)!.id;
      }
    },

    /** The newest entry's id: an export covers the log as it was when it began. */
    async newestId(): Promise<number> {
      const [row] = await db('audit_events').max<{ id: number | null }[]>('id as id');
      return Number(row?.id ?? 0);
    },
  };
}
