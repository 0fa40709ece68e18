import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../../storage/db.ts';
export { columnText } from '../../shared/columnText.ts';

// The hash chain of the audit log: what a row is, its canonical bytes and its hash.

export type Outcome = 'success' | 'failure' | 'denied';
export const OUTCOMES: readonly Outcome[] = ['success', 'failure', 'denied'];

export interface AuditRow {
  id: number;
  at: Date;
  actor_kind: 'agent' | 'visitor' | 'system';
  actor_id: number | null;
  actor_label: string;
  ip: string;
  user_agent: string;
  action: string;
  target_kind: string;
  target_id: string;
  department_id: number | null;
  outcome: Outcome;
  /** The canonical JSON text exactly as stored (see `detailsText` for reading it back). */
  details: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

/** The predecessor of the first entry. */
export const GENESIS = Buffer.alloc(32);

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

/** Every column but details, which `auditRows` reads as its stored text. */
export const ROW_COLUMNS = [
  'id',
  'at',
  'actor_kind',
  'actor_id',
  'actor_label',
  'ip',
  'user_agent',
  'action',
  'target_kind',
  'target_id',
  'department_id',
  'outcome',
  'prev_hash',
  'hash',
] as const;

/** Rows of audit_events with details as the stored text, which is what was hashed. */
export function auditRows(db: Db | Knex.Transaction) {
  return db('audit_events').select(
    ...ROW_COLUMNS,
    db.raw('CAST(details AS CHAR) AS details'),
  ) as Knex.QueryBuilder<AuditRow, AuditRow[]>;
}

/** The one-row table with the newest entry's id and hash (migration 20261122130000). */
export const HEAD = 'audit_chain_head';

export interface HeadRow {
  id: number;
  last_id: number;
  last_hash: Buffer;
}

/** The one-row table with the last entry deleted by retention (migration 20261122170200). */
export const ANCHOR = 'audit_chain_anchor';

export interface AnchorRow {
  id: number;
  anchor_id: number;
  anchor_hash: Buffer;
}

/** Where the chain starts: the anchor left by retention, or genesis. */
export async function chainStart(db: Db | Knex.Transaction): Promise<{ id: number; hash: Buffer }> {
  const anchor = await db<AnchorRow>(ANCHOR).where({ id: 1 }).first('anchor_id', 'anchor_hash');
  return anchor
    ? { id: Number(anchor.anchor_id), hash: anchor.anchor_hash }
    : { id: 0, hash: GENESIS };
}
