import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../../storage/db.ts';

export type Outcome = 'success' | 'failure' | 'denied';

export interface Actor {
  kind: 'agent' | 'visitor' | 'system';
  id?: number | string | null;
  label?: string;
}

export interface AuditEntry {
  actor: Actor;
  action: string;
  outcome: Outcome;
  target?: { kind: string; id: string | number };
  departmentId?: number | null;
  ip?: string;
  userAgent?: string;
  /** What changed. Keys that look like secrets are dropped before anything is written. */
  details?: Record<string, unknown>;
}

export interface AuditRow {
  id: number;
  at: Date;
  actor_kind: Actor['kind'];
  actor_id: number | null;
  actor_label: string;
  ip: string;
  user_agent: string;
  action: string;
  target_kind: string;
  target_id: string;
  department_id: number | null;
  outcome: Outcome;
  details: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

const GENESIS = Buffer.alloc(32);
const SECRET_KEY = /pass(word)?|secret|token|cookie|session|totp|recovery|captcha|cvc|cvv|pan/i;

/** Sorted keys and no secrets: the same details always give the same bytes. */
export function canonicalDetails(details: Record<string, unknown> | undefined): string | null {
  if (!details) return null;
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean);
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      return Object.fromEntries(
        Object.keys(value)
          .filter((key) => !SECRET_KEY.test(key))
          .sort()
          .map((key) => [key, clean((value as Record<string, unknown>)[key])]),
      );
    }
    return value;
  };
  return JSON.stringify(clean(details));
}

/** The hash of a row: its predecessor's hash and every column but the hashes. */
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
    row.details,
  ]);
  return createHash('sha256').update(row.prev_hash).update(canonical).digest();
}

/** The tamper-evident audit log: entries are chained by hash, written one at a time. */
export function auditLog(db: Db, now: () => Date = () => new Date()) {
  let chain: Promise<unknown> = Promise.resolve();

  async function append(entry: AuditEntry, trx: Knex.Transaction): Promise<AuditRow> {
    const last = (await trx('audit_events')
      .select('id', 'hash')
      .orderBy('id', 'desc')
      .limit(1)
      .forUpdate()) as {
      id: number;
      hash: Buffer;
    }[];
    const previous = last[0];
    const base: Omit<AuditRow, 'hash'> = {
      id: (previous?.id ?? 0) + 1,
      at: now(),
      actor_kind: entry.actor.kind,
      actor_id: typeof entry.actor.id === 'number' ? entry.actor.id : null,
      actor_label: (
        entry.actor.label ?? (entry.actor.id !== undefined ? String(entry.actor.id) : '')
      ).slice(0, 254),
      ip: (entry.ip ?? '').slice(0, 45),
      user_agent: (entry.userAgent ?? '').slice(0, 255),
      action: entry.action.slice(0, 64),
      target_kind: (entry.target?.kind ?? '').slice(0, 32),
      target_id: entry.target ? String(entry.target.id).slice(0, 64) : '',
      department_id: entry.departmentId ?? null,
      outcome: entry.outcome,
      details: canonicalDetails(entry.details),
      prev_hash: previous?.hash ?? GENESIS,
    };
    const row = { ...base, hash: hashOf(base) };
    await trx('audit_events').insert(row);
    return row;
  }

  return {
    /** Records one entry; inside the caller's transaction when given, so the entry and the change commit together. */
    record(entry: AuditEntry, trx?: Knex.Transaction): Promise<AuditRow> {
      if (trx) return append(entry, trx);
      const next = chain.then(() => db.transaction((own) => append(entry, own)));
      chain = next.catch(() => undefined);
      return next;
    },

    /** Walks the chain; reports the first row that was altered, removed or moved. */
    async verify(
      pageSize = 1000,
    ): Promise<
      { ok: true; checked: number } | { ok: false; checked: number; id: number; problem: string }
    > {
      let previous: { id: number; hash: Buffer } = { id: 0, hash: GENESIS };
      let checked = 0;
      for (;;) {
        const rows = (await db('audit_events')
          .where('id', '>', previous.id)
          .orderBy('id')
          .limit(pageSize)) as AuditRow[];
        for (const row of rows) {
          if (row.id !== previous.id + 1) {
            return {
              ok: false,
              checked,
              id: previous.id + 1,
              problem: `entry ${previous.id + 1} was removed`,
            };
          }
          if (!row.prev_hash.equals(previous.hash)) {
            return {
              ok: false,
              checked,
              id: row.id,
              problem: `entry ${row.id} does not follow entry ${previous.id} (removed or reordered)`,
            };
          }
          if (!hashOf(row).equals(row.hash)) {
            return { ok: false, checked, id: row.id, problem: `entry ${row.id} was altered` };
          }
          previous = { id: row.id, hash: row.hash };
          checked += 1;
        }
        if (rows.length < pageSize) return { ok: true, checked };
      }
    },
  };
}

export type AuditLog = ReturnType<typeof auditLog>;
