import { openDb } from '../../app/storage/db.ts';
import { TEST_DB, testConfig } from './config.ts';
import { recreateDatabase } from './db.ts';

/** Once per run: a fresh test database on the private MariaDB, migrated to the latest schema. */
export default async function setup(): Promise<void> {
  await recreateDatabase(TEST_DB);
  const db = openDb(testConfig());
  try {
    await db.migrate.latest();
  } finally {
    await db.destroy();
  }
}
