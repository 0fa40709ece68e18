import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface RefusalWindowRow {
  address: string;
  window_started_at: Date;
  first_at: Date;
  last_at: Date;
  refusals: number;
  lockouts: number;
  distinct_emails: number;
  reasons: Record<string, number>;
}

/** What one counted refusal adds to its address's window. */
export interface CountedRefusal {
  address: string;
  emailHash: Buffer;
  /** A refusal reason from the code (never request text); null for a lock that adds no refusal. */
  reason: string | null;
  lockout: boolean;
  at: Date;
}

const REASON = /^[a-z_]{1,32}$/;
/** Distinct emails are counted up to this many per window (the summary says when it got there). */
export const DISTINCT_EMAILS_COUNTED = 1000;

function fromDb(row: Record<string, unknown>): RefusalWindowRow {
  const reasons = row.reasons;
  return {
    ...(row as unknown as RefusalWindowRow),
    refusals: Number(row.refusals),
    lockouts: Number(row.lockouts),
    distinct_emails: Number(row.distinct_emails),
    reasons: (typeof reasons === 'string' ? JSON.parse(reasons) : reasons) as Record<
      string,
      number
    >,
  };
}

/**
 * Refused sign-ins counted per address and window. Every change runs in the caller's transaction
 * with the address's row locked, so a window is summarised exactly once however many processes
 * count or close it.
 */
export function signinRefusalsRepo(store: Store) {
  const db = knexOf(store);
  return {
    /**
     * Locks the address's window row, creating an empty one (no refusals yet) when there is none.
     * INSERT … ON DUPLICATE KEY takes the row's exclusive lock straight away.
     */
    async lock(tx: Store, address: string, at: Date): Promise<RefusalWindowRow> {
      await knexOf(tx).raw(
        `INSERT INTO signin_refusal_windows
           (address, window_started_at, first_at, last_at, refusals, lockouts, distinct_emails, reasons)
         VALUES (?, ?, ?, ?, 0, 0, 0, '{}')
         ON DUPLICATE KEY UPDATE address = VALUES(address)`,
        [address, at, at, at],
      );
      const row = (await knexOf(tx)('signin_refusal_windows')
        .where({ address })
        .forUpdate()
        .first()) as Record<string, unknown>;
      return fromDb(row);
    },

    /** The address's window, locked, or undefined when another closer got there first. */
    async lockExisting(tx: Store, address: string) {
      const row = (await knexOf(tx)('signin_refusal_windows')
        .where({ address })
        .forUpdate()
        .first()) as Record<string, unknown> | undefined;
      return row ? fromDb(row) : undefined;
    },

    /** Starts the row over as an empty window from `at` and forgets the emails it counted. */
    async restart(tx: Store, address: string, at: Date) {
      await knexOf(tx)('signin_refusal_emails').where({ address }).delete();
      await knexOf(tx)('signin_refusal_windows').where({ address }).update({
        window_started_at: at,
        first_at: at,
        last_at: at,
        refusals: 0,
        lockouts: 0,
        distinct_emails: 0,
        reasons: '{}',
      });
    },

    /** Deletes a window that has been summarised. */
    async remove(tx: Store, address: string) {
      await knexOf(tx)('signin_refusal_emails').where({ address }).delete();
      await knexOf(tx)('signin_refusal_windows').where({ address }).delete();
    },

    /** Adds one refusal (or lock) to the locked window, and its email when not yet seen. */
    async add(tx: Store, window: RefusalWindowRow, refusal: CountedRefusal) {
      if (refusal.reason !== null && !REASON.test(refusal.reason)) {
        throw new Error('a refusal reason must be a word from the code');
      }
      let distinct = 0;
      if (window.distinct_emails < DISTINCT_EMAILS_COUNTED) {
        const [result] = (await knexOf(tx).raw(
          'INSERT IGNORE INTO signin_refusal_emails (address, email_hash) VALUES (?, ?)',
          [refusal.address, refusal.emailHash],
        )) as [{ affectedRows: number }];
        distinct = result.affectedRows;
      }
      const path = refusal.reason === null ? null : `$.${refusal.reason}`;
      await knexOf(tx).raw(
        `UPDATE signin_refusal_windows SET
           first_at = IF(refusals = 0 AND lockouts = 0, ?, first_at),
           last_at = ?,
           refusals = refusals + ?,
           lockouts = lockouts + ?,
           distinct_emails = distinct_emails + ?,
           reasons = IF(? IS NULL, reasons, JSON_SET(reasons, ?, COALESCE(JSON_EXTRACT(reasons, ?), 0) + 1))
         WHERE address = ?`,
        [
          refusal.at,
          refusal.at,
          refusal.reason === null ? 0 : 1,
          refusal.lockout ? 1 : 0,
          distinct,
          path,
          path ?? '$.none',
          path ?? '$.none',
          refusal.address,
        ],
      );
    },

    /** Addresses whose window started at or before `before` and holds something to summarise. */
    ended: (before: Date, limit: number) =>
      db('signin_refusal_windows')
        .where('window_started_at', '<=', before)
        .orderBy('window_started_at')
        .limit(limit)
        .pluck('address') as Promise<string[]>,
  };
}

export type SigninRefusalsRepo = ReturnType<typeof signinRefusalsRepo>;
