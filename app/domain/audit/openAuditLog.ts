import type { Config } from '../../../config/load.ts';
import type { Logger } from '../../log.ts';
import { auditEventsRepo } from '../../storage/auditEvents.ts';
import { ER_NO_SUCH_TABLE, sqlErrno } from '../../storage/sqlErrors.ts';
import type { Store } from '../../storage/store.ts';
import { auditLog, type AuditLog } from './auditLog.ts';
import { auditForwarding } from './syslogForwarder.ts';

// The one way a process (the app, the worker, an ops command) opens its audit log: from its
// configuration, so every entry it commits also goes to PARLEY_AUDIT_SYSLOG when that is set.

/** The process's audit log. Close it before the process exits: queued messages are sent first. */
export function openAuditLog(config: Config, db: Store, log?: Logger): AuditLog {
  return auditLog(db, { sink: auditForwarding(config.env, log), log });
}

const PAGE = 1000;

/** The newest entry's id; 0 when there is none, or no audit table yet (a fresh install). */
export async function newestEntryId(db: Store): Promise<number> {
  try {
    return await auditEventsRepo(db).newestId();
  } catch (error) {
    if (sqlErrno(error) === ER_NO_SUCH_TABLE) return 0;
    throw error;
  }
}

/**
 * Forwards, oldest first, the entries committed after `afterId` by code that had no sink: a
 * migration gets only knex's own handle, so the card-number redaction it records is sent here,
 * once the migrations have run. Returns how many were sent.
 */
export async function forwardEntriesAfter(
  config: Config,
  db: Store,
  afterId: number,
  log?: Logger,
): Promise<number> {
  const sink = auditForwarding(config.env, log);
  if (!sink) return 0;
  let sent = 0;
  try {
    for (let from = afterId; ;) {
      const rows = await auditEventsRepo(db).after(from, PAGE);
      for (const row of rows) sink.send(row);
      sent += rows.length;
      if (rows.length < PAGE) return sent;
      from = rows.at(-1)!.id;
    }
  } finally {
    await sink.close();
  }
}
