import { createHash } from 'node:crypto';
import type { AuditRow, Outcome } from '../../storage/auditEvents.ts';
export { columnText } from '../../shared/columnText.ts';

// The hash chain of the audit log: a row's canonical bytes and its hash (pure; the SQL is in
// app/storage/auditEvents.ts).

export { GENESIS, type AuditRow, type Outcome } from '../../storage/auditEvents.ts';
export const OUTCOMES: readonly Outcome[] = ['success', 'failure', 'denied'];

/** Column lengths, in characters, of audit_events (migration 20261122090900). */
export const LIMITS = {
  actor_label: 254,
  ip: 45,
  user_agent: 255,
  action: 64,
  target_kind: 32,
  target_id: 64,
} as const;

// Words in a details key that mark a secret: the key and its value are never written.
const SECRET_PARTS =
  /password|passwd|passphrase|secret|token|cookie|credential|captcha|totp|recovery/;
const SECRET_WORDS = new Set(['pass', 'pan', 'pin', 'otp', 'cvc', 'cvv', 'cvv2', 'session', 'sid']);

/** Whether a details key names a secret: `newPassword`, `session_id`, `pan`; not `company` or `sessions`. */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.some((word) => SECRET_PARTS.test(word) || SECRET_WORDS.has(word));
}

/** Sorted keys, no secrets, JSON's own types only: the same details always give the same bytes. */
export function canonicalDetails(details: Record<string, unknown> | undefined): string | null {
  if (!details) return null;
  const clean = (value: unknown): unknown => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string') return value.toWellFormed();
    if (value === null || typeof value !== 'object') return value;
    const json = (value as { toJSON?: unknown }).toJSON;
    if (typeof json === 'function') return clean((json as () => unknown).call(value));
    if (Array.isArray(value)) return value.map(clean);
    return Object.fromEntries(
      Object.keys(value)
        .filter((key) => !isSecretKey(key))
        .sort()
        .map((key) => [key, clean((value as Record<string, unknown>)[key])]),
    );
  };
  return JSON.stringify(clean(details)) ?? null;
}

/**
 * The details column as text. MariaDB keeps JSON text verbatim, but the driver may hand it back
 * parsed; re-serialising gives the same canonical text because it was written with sorted keys.
 */
export function detailsText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return canonicalDetails(value as Record<string, unknown>);
}

/** The hash of a row: its predecessor's hash and every column but the hashes, id included. */
export function hashOf(row: Omit<AuditRow, 'hash'>): Buffer {
  const canonical = JSON.stringify([
    row.id,
    row.at.toISOString(),
    row.actor_kind,
    row.actor_id,
    row.actor_label,
    row.ip,
    row.user_agent,
    row.action,
    row.target_kind,
    row.target_id,
    row.department_id,
    row.outcome,
    detailsText(row.details),
  ]);
  return createHash('sha256').update(row.prev_hash).update(canonical).digest();
}
