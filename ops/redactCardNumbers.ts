// `make redact-card-numbers`: masks card numbers an older Parley stored, the audit log included
// (re-hashed, and the redaction recorded as an entry). The update runs it as a migration; it can
// be run again at any time (a second run finds nothing). Exit 0 when done, 1 when it could not.
import { openAuditLog } from '../app/domain/audit/openAuditLog.ts';
import { redactCardNumbers } from '../app/domain/masking/redaction.ts';
import { openDb } from '../app/storage/db.ts';
import { loadConfigOrExit } from '../config/load.ts';
import { opsLogger } from './opsLogger.ts';

const config = loadConfigOrExit({ process: 'ops' });
const db = openDb(config);
const audit = openAuditLog(config, db, opsLogger(config));
try {
  const report = await redactCardNumbers(db, audit);
  if (report.entryId === null) console.log('no stored card numbers found');
  for (const { table, column, rows } of report.tables) {
    console.log(`masked: ${rows} row(s) in ${table}.${column}`);
  }
  if (report.audit) {
    const a = report.audit;
    console.log(
      `audit log: ${a.redacted} entries in ${a.firstRedacted}–${a.lastRedacted} masked, entries ${a.firstRedacted}–${a.rehashedTo} re-hashed`,
    );
  }
  if (report.entryId !== null) console.log(`recorded as audit entry ${report.entryId}`);
} catch (error) {
  const failure = error as { sqlMessage?: string; code?: string; message?: string };
  console.error(
    `redaction failed: ${failure.sqlMessage ?? failure.message?.split('\n')[0] ?? 'unknown error'}`,
  );
  process.exitCode = 1;
} finally {
  await audit.close();
  await db.destroy();
}
