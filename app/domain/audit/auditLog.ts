import type { Knex } from 'knex';
import type { Logger } from '../../log.ts';
import { maskCardNumbers } from '../../shared/cardNumbers.ts';
import { maskDeep } from '../../shared/maskDeep.ts';
import { ER_LOCK_DEADLOCK, sqlErrno, type Db } from '../../storage/db.ts';
import {
  GENESIS,
  HEAD,
  LIMITS,
  canonicalDetails,
  columnText,
  hashOf,
  type AuditRow,
  type HeadRow,
  type Outcome,
} from './chain.ts';
import { verifyChain, type VerifyResult } from './verifyChain.ts';

export {
  auditRows,
  canonicalDetails,
  detailsText,
  hashOf,
  type AuditRow,
  type Outcome,
} from './chain.ts';
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

const ER_LOCK_WAIT_TIMEOUT = 1205;
const RETRYABLE = new Set([ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT]);
const ATTEMPTS = 5;

/** The head row (newest id and hash) that every writer locks; the migration seeds it. */
export async function seedChainHead(db: Db | Knex.Transaction): Promise<void> {
  const last = await db<{ id: number; hash: Buffer }>('audit_events')
    .orderBy('id', 'desc')
    .first('id', 'hash');
  await db(HEAD)
    .insert({ id: 1, last_id: last?.id ?? 0, last_hash: last?.hash ?? GENESIS })
    .onConflict('id')
    .ignore();
}

/**
 * The tamper-evident audit log. Each entry's hash covers its predecessor's hash, so editing,
 * removing or reordering a row breaks the chain. Appends lock the chain head row, which orders
 * writers across every process: ids are consecutive and commit in chain order.
 */
export function auditLog(db: Db, options: AuditLogOptions = {}) {
  const now = options.now ?? (() => new Date());
  let queue: Promise<unknown> = Promise.resolve();

  async function lockHead(
    trx: Knex.Transaction,
    rebuilt = false,
  ): Promise<{ last_id: number; last_hash: Buffer }> {
    const head = await trx<HeadRow>(HEAD)
      .where({ id: 1 })
      .forUpdate()
      .first('last_id', 'last_hash');
    if (head) return { last_id: Number(head.last_id), last_hash: head.last_hash };
    if (rebuilt) throw new Error('the audit chain head cannot be written');
    // Missing (removed by hand): rebuilt from the newest entry, and said so.
    await seedChainHead(trx);
    options.log?.warn('audit chain head was missing and has been rebuilt from the newest entry');
    return lockHead(trx, true);
  }

  async function append(entry: AuditEntry, trx: Knex.Transaction): Promise<AuditRow> {
    const head = await lockHead(trx);
    const at = now(); // taken under the lock, so time follows the chain within a process
    if (Number.isNaN(at.getTime())) throw new Error('audit clock returned an invalid date');
    const label = entry.actor.label ?? (entry.actor.id != null ? String(entry.actor.id) : '');
    // Masked before it is hashed (issue 12): a typed email, a user agent or a reason may hold a
    // card number, and a hash-chained entry cannot be edited afterwards without re-hashing.
    const base: Omit<AuditRow, 'hash'> = {
      id: head.last_id + 1,
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
      prev_hash: head.last_hash,
    };
    const row: AuditRow = { ...base, hash: hashOf(base) };
    await trx('audit_events').insert(row);
    await trx(HEAD).where({ id: 1 }).update({ last_id: row.id, last_hash: row.hash });
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
        const row = await db.transaction((own) => append(entry, own));
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
    async record(entry: AuditEntry, trx?: Knex.Transaction): Promise<AuditRow> {
      if (!trx) {
        const next = queue.then(() => appendOwn(entry));
        queue = next.catch(() => undefined);
        return next;
      }
      const row = await append(entry, trx);
      let outer = trx;
      while (outer.parentTransaction) outer = outer.parentTransaction;
      // Forwarded only once committed: a rolled-back entry never existed.
      outer.executionPromise.then(
        () => forward(row),
        () => undefined,
      );
      return row;
    },

    /** Walks the chain oldest first; reports the first entry that was altered, removed or moved. */
    verify: (pageSize = 1000): Promise<VerifyResult> => verifyChain(db, pageSize),

    /** Stops forwarding (flushing what it can). */
    close: () => options.sink?.close() ?? Promise.resolve(),
  };
}

export type AuditLog = ReturnType<typeof auditLog>;
