import type { Knex } from 'knex';
import type { Db } from '../../storage/db.ts';
import type { ScopeFilter } from '../permissions/policy.ts';
import { addressKey } from '../signin/defences.ts';
import { auditRows } from './auditLog.ts';
import type { AuditRow, Outcome } from './chain.ts';
import type { AuditEventView } from '../../shared/audit.ts';

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
  /**
   * A source address: its entries, and the sign-in summaries that cover it (kept under the
   * address's throttle key: IPv4 as is, an IPv6 address's /64).
   */
  address?: string;
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
  if (filters.address !== undefined) {
    void query.whereIn('ip', [...new Set([filters.address, addressKey(filters.address)])]);
  }
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

export function auditSearch(db: Db) {
  return {
    /** One page, newest first, older than `before` when given. */
    async page(
      filters: AuditFilters,
      scope: ScopeFilter,
      page: { before?: number; limit: number },
    ): Promise<{ rows: AuditRow[]; nextBefore: number | null }> {
      const query = applyFilters(auditRows(db), filters, scope)
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
        const rows = (await applyFilters(auditRows(db), filters, scope)
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
      const row = (await db('audit_events').max('id as id').first()) as { id: number | null };
      return Number(row?.id ?? 0);
    },
  };
}

function parseDetails(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    return { unreadable: text };
  }
}

export function presentAuditEvent(row: AuditRow): AuditEventView {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: { kind: row.actor_kind, id: row.actor_id, label: row.actor_label },
    ip: row.ip,
    userAgent: row.user_agent,
    action: row.action,
    target: row.target_kind || row.target_id ? { kind: row.target_kind, id: row.target_id } : null,
    departmentId: row.department_id,
    outcome: row.outcome,
    details: parseDetails(row.details),
    hash: row.hash.toString('hex').slice(0, 12),
  };
}
