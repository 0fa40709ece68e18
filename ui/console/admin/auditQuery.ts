// The audit log's filters, as the search and the exports send them.

export const OUTCOMES = ['success', 'failure', 'denied'] as const;

export interface AuditFilters {
  from: string;
  to: string;
  actor: string;
  action: string;
  departmentId: string;
  outcome: string;
  q: string;
  address: string;
}

export const noFilters = (): AuditFilters => ({
  from: '',
  to: '',
  actor: '',
  action: '',
  departmentId: '',
  outcome: '',
  q: '',
  address: '',
});

/** datetime-local gives local wall-clock time; the API wants an instant. */
function instant(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

/** The query string of the filters that are set, then `extra` (limit, before, format). */
export function auditQuery(filters: AuditFilters, extra: Record<string, string>): string {
  const pairs: [string, string][] = [];
  for (const key of Object.keys(filters) as (keyof AuditFilters)[]) {
    const text = filters[key].trim();
    if (text !== '') pairs.push([key, key === 'from' || key === 'to' ? instant(text) : text]);
  }
  pairs.push(...Object.entries(extra));
  return pairs
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}
