import type { Logger } from '../../log.ts';
import { maskCardNumbers } from '../../shared/cardNumbers.ts';
import { maskDeep } from '../../shared/maskDeep.ts';
import { auditEventsRepo } from '../../storage/auditEvents.ts';
import { ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT, sqlErrno } from '../../storage/sqlErrors.ts';
import { afterCommit, transaction, type Store } from '../../storage/store.ts';
import {
  LIMITS,
  canonicalDetails,
  columnText,
  hashOf,
  type AuditRow,
  type Outcome,
} from './chain.ts';
import { verifyChain, type VerifyResult } from './verifyChain.ts';

export { canonicalDetails, detailsText, hashOf, type AuditRow, type Outcome } from './chain.ts';
export type { VerifyResult } from './verifyChain.ts';

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
  /** What changed. Keys that name secrets are dropped before anything is written. */
  details?: Record<string, unknown>;
}

/** Where committed entries go besides the database (the syslog forwarder). Never blocks or throws. */
export interface AuditSink {
  send(row: AuditRow): void;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  now?: () => Date;
  sink?: AuditSink;
  log?: Logger;
}

/** A text as an audit column keeps it: card numbers masked first, then cut to the column. */
const atRest = (text: string, max: number) => columnText(maskCardNumbers(text).text, max);

const RETRYABLE = new Set([ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT]);
const ATTEMPTS = 5;

/** The head row (newest id and hash) that every writer locks; the migration seeds it. */
export const seedChainHead = (store: Store) => auditEventsRepo(store).seedHead();

/**
 * The tamper-evident audit log. Each entry's hash covers its predecessor's hash, so editing,
 * removing or reordering a row breaks the chain. Appends lock the chain head row, which orders
 * writers across every process: ids are consecutive and commit in chain order.
 */
export function auditLog(db: Store, options: AuditLogOptions = {}) {
  const now = options.now ?? (() => new Date());
  let queue: Promise<unknown> = Promise.resolve();

  async function lockHead(tx: Store, rebuilt = false): Promise<{ id: number; hash: Buffer }> {
    const head = await auditEventsRepo(tx).lockHead();
    if (head) return head;
    if (rebuilt) throw new Error('the audit chain head cannot be written');
    // Missing (removed by hand): rebuilt from the newest entry, and said so.
    await seedChainHead(tx);
    options.log?.warn('audit chain head was missing and has been rebuilt from the newest entry');
    return lockHead(tx, true);
  }

  async function append(entry: AuditEntry, tx: Store): Promise<AuditRow> {
    const head = await lockHead(tx);
    const at = now(); // taken under the lock, so time follows the chain within a process
    if (Number.isNaN(at.getTime())) throw new Error('audit clock returned an invalid date');
    const label = entry.actor.label ?? (entry.actor.id != null ? String(entry.actor.id) : '');
    // Masked before it is hashed (issue 12): a typed email, a user agent or a reason may hold a
    // card number, and a hash-chained entry cannot be edited afterwards without re-hashing.
    const base: Omit<AuditRow, 'hash'> = {
      id: head.id + 1,
      at,
      actor_kind: entry.actor.kind,
      actor_id: typeof entry.actor.id === 'number' ? entry.actor.id : null,
      actor_label: atRest(label, LIMITS.actor_label),
      ip: atRest(entry.ip ?? '', LIMITS.ip),
      user_agent: atRest(entry.userAgent ?? '', LIMITS.user_agent),
      action: atRest(entry.action, LIMITS.action),
      target_kind: atRest(entry.target?.kind ?? '', LIMITS.target_kind),
      target_id: entry.target ? atRest(String(entry.target.id), LIMITS.target_id) : '',
      department_id: entry.departmentId ?? null,
      outcome: entry.outcome,
      details: canonicalDetails(maskDeep(entry.details) as AuditEntry['details']),
      prev_hash: head.hash,
    };
    const row: AuditRow = { ...base, hash: hashOf(base) };
    const repo = auditEventsRepo(tx);
    await repo.append(row);
    await repo.moveHead(row);
    return row;
  }

  function forward(row: AuditRow): void {
    try {
      options.sink?.send(row);
    } catch (error) {
      options.log?.warn({ err: (error as Error).name }, 'audit forwarding failed');
    }
  }

  async function appendOwn(entry: AuditEntry): Promise<AuditRow> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const row = await transaction(db, (own) => append(entry, own));
        forward(row);
        return row;
      } catch (error) {
        const errno = sqlErrno(error);
        if (attempt >= ATTEMPTS || errno === undefined || !RETRYABLE.has(errno)) throw error;
        await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 20));
      }
    }
  }

  return {
    /**
     * Records one entry. Given the caller's transaction, the entry commits (or rolls back) with
     * the change it describes; record it as the transaction's last statement, since the chain
     * head stays locked until the commit.
     */
    async record(entry: AuditEntry, tx?: Store): Promise<AuditRow> {
      if (!tx) {
        const next = queue.then(() => appendOwn(entry));
        queue = next.catch(() => undefined);
        return next;
      }
      const row = await append(entry, tx);
      afterCommit(tx, () => forward(row)); // a rolled-back entry never existed
      return row;
    },

    /** Walks the chain oldest first; reports the first entry that was altered, removed or moved. */
    verify: (pageSize = 1000): Promise<VerifyResult> => verifyChain(db, pageSize),

    /** Stops forwarding (flushing what it can). */
    close: () => options.sink?.close() ?? Promise.resolve(),
  };
}

export type AuditLog = ReturnType<typeof auditLog>;
