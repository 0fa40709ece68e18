import { redactStoredText, type RedactedColumn } from '../../storage/atRest/redactStored.ts';
import { ER_LOCK_DEADLOCK, sqlErrno } from '../../storage/sqlErrors.ts';
import { inTransaction, transaction, type Store } from '../../storage/store.ts';
import { auditLog, type AuditLog } from '../audit/auditLog.ts';
import { redactChain, type ChainRedaction } from '../audit/redactChain.ts';

// Existing installs (issue 12): card numbers an older Parley stored are masked everywhere, audit
// log included, in one transaction, and the redaction is itself an audit entry. Run by a migration
// at update time, and by `make redact-card-numbers` at any time (a second run finds nothing).

export const REDACTION_ACTION = 'audit.redaction';

export interface RedactionReport {
  tables: RedactedColumn[];
  audit: ChainRedaction | null;
  /** The id of the `audit.redaction` entry; null when nothing was found. */
  entryId: number | null;
}

async function redactIn(trx: Store, processAudit?: AuditLog): Promise<RedactionReport> {
  // The chain head is locked first (by redactChain): audit writers wait until this commits.
  const audit = await redactChain(trx);
  const tables = await redactStoredText(trx);
  if (!audit && tables.length === 0) return { tables, audit, entryId: null };
  // The process's audit log forwards the entry once committed; a migration has none (see
  // forwardEntriesAfter in audit/openAuditLog.ts).
  const entry = await (processAudit ?? auditLog(trx)).record(
    {
      actor: { kind: 'system', label: 'card-number redaction' },
      action: REDACTION_ACTION,
      outcome: 'success',
      details: { auditEntries: audit, tables },
    },
    trx,
  );
  return { tables, audit, entryId: entry.id };
}

/**
 * Masks every stored card number; in the caller's transaction (a migration's) or its own.
 * `processAudit` is the process's audit log (openAuditLog): the entry reaches syslog like any other.
 */
export async function redactCardNumbers(
  db: Store,
  processAudit?: AuditLog,
): Promise<RedactionReport> {
  // A deadlock in the caller's transaction rolls back the caller's too.
  if (inTransaction(db)) return redactIn(db, processAudit);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction(db, (trx) => redactIn(trx, processAudit));
    } catch (error) {
      if (attempt >= 3 || sqlErrno(error) !== ER_LOCK_DEADLOCK) throw error;
    }
  }
}
