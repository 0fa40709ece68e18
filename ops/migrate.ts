// `make migrate`: brings the database schema to the latest migration (or `--down` one step).
import { loadConfigOrExit } from '../config/load.ts';
import { forwardEntriesAfter, newestEntryId } from '../app/domain/audit/openAuditLog.ts';
import { openDb } from '../app/storage/db.ts';
import { opsLogger } from './opsLogger.ts';

const config = loadConfigOrExit({ process: 'ops' });
const db = openDb(config);
try {
  if (process.argv.includes('--down')) {
    const [, names] = (await db.migrate.rollback(undefined, false)) as [number, string[]];
    console.log(names.length ? `rolled back: ${names.join(', ')}` : 'nothing to roll back');
  } else {
    const before = await newestEntryId(db);
    const [, names] = (await db.migrate.latest()) as [number, string[]];
    // Knex gives a migration only its own handle: what one recorded goes to syslog from here.
    await forwardEntriesAfter(config, db, before, opsLogger(config));
    console.log(
      names.length
        ? `migrated: ${names.length} migration(s) applied`
        : 'database schema is up to date',
    );
  }
} catch (error) {
  console.error(`migration failed: ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
