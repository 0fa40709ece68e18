// `make audit-verify`: walks the audit log's hash chain and reports the first entry that was
// altered, removed or reordered. Exit 0 when intact, 1 when not, 2 when it could not check.
import { auditLog } from '../app/domain/audit/auditLog.ts';
import { openDb } from '../app/storage/db.ts';
import { loadConfigOrExit } from '../config/load.ts';

const config = loadConfigOrExit({ process: 'ops' });
const db = openDb(config);
try {
  const result = await auditLog(db).verify();
  if (result.ok) {
    console.log(`audit log intact: ${result.checked} entries`);
    for (const r of result.redactions ?? []) {
      const range =
        r.firstRedacted === null
          ? 'no entries'
          : `${r.redacted} entries in ${r.firstRedacted}–${r.lastRedacted}`;
      const rehashed =
        r.rehashedTo === null ? '' : `; entries ${r.firstRedacted}–${r.rehashedTo} re-hashed`;
      console.log(
        `  card numbers redacted at entry ${r.id} (${r.at.toISOString()}): ${range}${rehashed}, ${r.rows} other rows masked`,
      );
    }
  } else {
    console.log(`audit log NOT intact: ${result.problem}`);
    console.log(
      `  first bad entry: ${result.id} (${result.kind}); ${result.checked} entries before it are intact`,
    );
    process.exitCode = 1;
  }
} catch (error) {
  // The database's own message or the error code: never the SQL text.
  const failure = error as { sqlMessage?: string; code?: string; message?: string };
  const reason = failure.sqlMessage ?? failure.code ?? failure.message?.split('\n')[0];
  console.error(`audit verification failed: ${reason ?? 'unknown error'}`);
  process.exitCode = 2;
} finally {
  await db.destroy();
}
