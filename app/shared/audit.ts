// The audit log on the wire: what the API returns and the console imports (types only, no imports,
// so the UI can use them without pulling in server code).

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEventView {
  id: number;
  at: string;
  actor: { kind: 'agent' | 'visitor' | 'system'; id: number | null; label: string };
  ip: string;
  userAgent: string;
  action: string;
  target: { kind: string; id: string } | null;
  departmentId: number | null;
  outcome: AuditOutcome;
  /** What changed; never a secret. */
  details: Record<string, unknown> | null;
  /** The first 12 hex digits of the entry's hash, to match it with a forwarded or exported copy. */
  hash: string;
}

export interface AuditSearchResponse {
  entries: AuditEventView[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}

export type AuditVerifyResponse =
  | { ok: true; checked: number }
  | {
      ok: false;
      checked: number;
      id: number;
      kind: 'altered' | 'removed' | 'reordered';
      problem: string;
    };
