import type { Config } from '../../../config/load.ts';
import type { Logger } from '../../log.ts';
import { sqlErrno, type Db } from '../../storage/db.ts';
import { auditLog, type AuditLog } from './auditLog.ts';
import { auditRows } from './chain.ts';
import { auditForwarding } from './syslogForwarder.ts';

// The one way a process (the app, the worker, an ops command) opens its audit log: from its
// configuration, so every entry it commits also goes to PARLEY_AUDIT_SYSLOG when that is set.

/** The process's audit log. Close it before the process exits: queued messages are sent first. */
export function openAuditLog(config: Config, db: Db, log?: Logger): AuditLog {
  return auditLog(db, { sink: auditForwarding(config.env, log), log });
}

const ER_NO_SUCH_TABLE = 1146;

/** The newest entry's id; 0 when there is none, or no audit table yet (a fresh install). */
export async function newestEntryId(db: Db): Promise<number> {
  try {
    const newest = await auditRows(db).orderBy('id', 'desc').first();
    return newest ? Number(newest.id) : 0;
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
  db: Db,
  afterId: number,
  log?: Logger,
): Promise<number> {
  const sink = auditForwarding(config.env, log);
  if (!sink) return 0;
  try {
    const rows = await auditRows(db).where('id', '>', afterId).orderBy('id');
    for (const row of rows) sink.send(row);
    return rows.length;
  } finally {
    await sink.close();
  }
}
