import type { AuditEntry } from '../app/domain/audit/auditLog.ts';
import { openAuditLog } from '../app/domain/audit/openAuditLog.ts';
import { openDb, type Db } from '../app/storage/db.ts';
import type { Config } from '../config/load.ts';
import { opsLogger } from './opsLogger.ts';

/**
 * One audit entry from an ops command, as the system actor `label`: the audit log is opened for it
 * and closed after (queued syslog forwarding included). `db`: where to write, when not this site's
 * own database (a DR rejoin audits on the primary); it is closed too.
 */
export async function recordOpsAudit(
  config: Config,
  label: string,
  entry: Omit<AuditEntry, 'actor'>,
  db: Db = openDb(config),
): Promise<void> {
  const audit = openAuditLog(config, db, opsLogger(config));
  try {
    await audit.record({ actor: { kind: 'system', label }, ...entry });
  } finally {
    await audit.close();
    await db.destroy();
  }
}
