// A Parley whose site role a test switches (issue 15). The role is the database's read_only, which
// the shared test server must never get: this site has a MariaDB of its own, an app account that
// read_only binds (no READ_ONLY ADMIN), and the browser stack on top.
import { accountsSql } from '../../ops/dr/accounts.ts';
import { openDb, type Db } from '../../app/storage/db.ts';
import { testConfig } from '../harness/config.ts';
import { privateMariadb } from '../harness/privateMariadb.ts';
import { startBrowserStack, type BrowserStack } from './stack.ts';

export interface SwitchableSite {
  stack: BrowserStack;
  /** The site's own database, migrated, for factories. */
  db: Db;
  /** Fences the site (its database read-only: a standby) or promotes it, as `make failover` does. */
  setRole(role: 'primary' | 'standby'): void;
  close(): Promise<void>;
}

export async function startSwitchableSite(options: {
  parleyOrigin: string;
  siteOrigin: string;
}): Promise<SwitchableSite> {
  const mariadb = await privateMariadb('parley-switchable-', () => []);
  // The role is polled this often, so a switch shows within a second.
  const overrides = {
    PARLEY_DB_PORT: String(mariadb.port),
    PARLEY_DB_NAME: 'parley',
    PARLEY_SITE_ROLE_POLL_MS: '200',
  };
  const config = testConfig(overrides);
  mariadb.root(
    'CREATE DATABASE parley CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;' +
      accountsSql({
        app: { user: config.env.PARLEY_DB_USER, password: config.dbPassword, database: 'parley' },
        admin: { user: 'parley_dr', password: 'switchable-dr' },
        repl: { user: 'parley_repl', password: 'switchable-repl' },
      }),
  );
  const db = openDb(config);
  let stack: BrowserStack | undefined;
  try {
    await db.migrate.latest();
    stack = await startBrowserStack({ ...options, overrides });
  } catch (error) {
    await db.destroy();
    await mariadb.stop();
    throw error;
  }
  return {
    stack,
    db,
    setRole: (role) => mariadb.root(`SET GLOBAL read_only = ${role === 'standby' ? 1 : 0}`),
    async close() {
      await stack.close();
      await db.destroy();
      await mariadb.stop();
    },
  };
}
