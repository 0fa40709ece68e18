import { ER_DUP_ENTRY, ER_LOCK_DEADLOCK, sqlErrno } from '../../storage/sqlErrors.ts';
import { transaction, type Store } from '../../storage/store.ts';
import {
  DISTINCT_EMAILS_COUNTED,
  signinRefusalsRepo,
  type RefusalWindowRow,
} from '../../storage/signinRefusals.ts';
import type { AuditEntry, AuditLog } from '../audit/auditLog.ts';
import { addressKey } from './defences.ts';

// Sign-ins refused for an email that has no account, and refusals of the per-address throttle,
// are not written to the audit log one by one: anyone on the internet could fill it, with
// whatever text they type as an email. Per source address (IPv4, IPv6 /64) and window, the first
// such refusal is recorded as an `agent.signin` failure without the email, the rest are counted,
// and one `agent.signin_summary` entry (counts, reasons, first and last time, how many distinct
// emails — never the emails) is written when the window has closed: by the next refusal from the
// address, by any audit search, or by the worker's periodic job, whichever comes first.

export const SUMMARY_ACTION = 'agent.signin_summary';

/** One refusal to count: who asked from where, why it was refused. */
export interface Refusal {
  ip: string;
  userAgent: string;
  /** The keyed hash of the email typed: counted for distinctness, never stored beyond the window. */
  emailHash: Buffer;
  /** A reason from the code (`unknown_account`, `rate_limited`…), or null for a lock only. */
  reason: string | null;
}

const ATTEMPTS = 5;

export function countedRefusals(
  db: Store,
  audit: AuditLog,
  policy: { windowMinutes: number },
  now: () => Date = () => new Date(),
) {
  const repo = signinRefusalsRepo(db);
  const windowMs = policy.windowMinutes * 60_000;
  const hasEnded = (window: RefusalWindowRow, at: Date) =>
    window.window_started_at.getTime() + windowMs <= at.getTime();
  const isEmpty = (window: RefusalWindowRow) => window.refusals === 0 && window.lockouts === 0;

  function summaryOf(window: RefusalWindowRow): AuditEntry {
    return {
      actor: { kind: 'system', label: 'sign-in defences' },
      action: SUMMARY_ACTION,
      outcome: 'failure',
      ip: window.address,
      details: {
        refusals: window.refusals,
        reasons: window.reasons,
        lockouts: window.lockouts,
        distinctEmails: window.distinct_emails,
        ...(window.distinct_emails >= DISTINCT_EMAILS_COUNTED
          ? { distinctEmailsAtLeast: true }
          : {}),
        firstAt: window.first_at.toISOString(),
        lastAt: window.last_at.toISOString(),
        windowStartedAt: window.window_started_at.toISOString(),
        windowMinutes: policy.windowMinutes,
      },
    };
  }

  /** Two first refusals from one address at once may collide on the new row: try again. */
  async function inTransaction<T>(run: (trx: Store) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await transaction(db, run);
      } catch (error) {
        const errno = sqlErrno(error);
        const retryable = errno === ER_LOCK_DEADLOCK || errno === ER_DUP_ENTRY;
        if (!retryable || attempt >= ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 20));
      }
    }
  }

  return {
    windowMinutes: policy.windowMinutes,

    /** Counts one refusal in its address's window, closing the window before it if it has ended. */
    count(refusal: Refusal): Promise<void> {
      const address = addressKey(refusal.ip);
      return inTransaction(async (trx) => {
        const at = now();
        let window = await repo.lock(trx, address, at);
        const entries: AuditEntry[] = [];
        if (isEmpty(window) || hasEnded(window, at)) {
          if (!isEmpty(window)) entries.push(summaryOf(window));
          await repo.restart(trx, address, at); // a new window starts with this refusal
          window = {
            ...window,
            window_started_at: at,
            refusals: 0,
            lockouts: 0,
            distinct_emails: 0,
          };
        }
        await repo.add(trx, window, {
          address,
          emailHash: refusal.emailHash,
          reason: refusal.reason,
          lockout: refusal.reason === null,
          at,
        });
        if (refusal.reason !== null && window.refusals === 0) {
          const endsAt = new Date(window.window_started_at.getTime() + windowMs);
          entries.push({
            actor: { kind: 'agent', id: null, label: '' },
            action: 'agent.signin',
            outcome: 'failure',
            ip: refusal.ip,
            userAgent: refusal.userAgent,
            details: { reason: refusal.reason, counted: true, summaryAfter: endsAt.toISOString() },
          });
        }
        // Last in the transaction: the audit chain's head stays locked until the commit.
        for (const entry of entries) await audit.record(entry, trx);
      });
    },

    /** Writes the summary of every window that has ended (up to `limit`); returns how many. */
    async closeEnded(limit = 1000): Promise<number> {
      const at = now();
      const addresses = await repo.ended(new Date(at.getTime() - windowMs), limit);
      let written = 0;
      for (const address of addresses) {
        written += await inTransaction(async (trx) => {
          const window = await repo.lockExisting(trx, address);
          if (!window || !hasEnded(window, at)) return 0; // another closer, or a new window
          await repo.remove(trx, address);
          if (isEmpty(window)) return 0;
          await audit.record(summaryOf(window), trx);
          return 1;
        });
      }
      return written;
    },
  };
}

export type CountedRefusals = ReturnType<typeof countedRefusals>;
