import type { AuditEventView } from '../../shared/audit.ts';
import type { AuditRow } from '../../storage/auditEvents.ts';
import { auditSearchRepo, type AuditFilters as Narrowed } from '../../storage/auditSearch.ts';
import type { ScopeFilter } from '../../storage/scope.ts';
import type { Store } from '../../storage/store.ts';
import { addressKey } from '../signin/defences.ts';

/** What an audit search or export is narrowed to, as a person asks; every field is optional. */
export type AuditFilters = Omit<Narrowed, 'addresses'> & {
  /**
   * A source address: its entries, and the sign-in summaries that cover it (kept under the
   * address's throttle key: IPv4 as is, an IPv6 address's /64).
   */
  address?: string;
};

function narrowed({ address, ...filters }: AuditFilters): Narrowed {
  return address === undefined
    ? filters
    : { ...filters, addresses: [...new Set([address, addressKey(address)])] };
}

/** Search and export, each scoped to what the viewer's grant covers. */
export function auditSearch(store: Store) {
  const repo = auditSearchRepo(store);
  return {
    page: (filters: AuditFilters, scope: ScopeFilter, page: { before?: number; limit: number }) =>
      repo.page(narrowed(filters), scope, page),
    each: (filters: AuditFilters, scope: ScopeFilter, upTo: number, pageSize?: number) =>
      repo.each(narrowed(filters), scope, upTo, pageSize),
    newestId: () => repo.newestId(),
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
