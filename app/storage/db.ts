import { readFileSync } from 'node:fs';
import knex, { type Knex } from 'knex';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/load.ts';
import { guardAtRest } from './atRest/guard.ts';
import type { Store } from './store.ts';

export type Db = Knex;

/** The knex behind a store (storage/store.ts): for repositories only. */
export const knexOf = (store: Store): Knex => store as Knex;

export const migrationsDir = fileURLToPath(new URL('./migrations', import.meta.url));

export function migrationConfig(): Knex.MigratorConfig {
  return { directory: migrationsDir, loadExtensions: ['.ts'], tableName: 'knex_migrations' };
}

/** A database handle; every write through it passes the card-number boundary (atRest/guard.ts). */
export function openDb(config: Config, database = config.env.PARLEY_DB_NAME): Db {
  const db = knex({
    client: 'mysql2',
    connection: {
      host: config.env.PARLEY_DB_HOST,
      port: config.env.PARLEY_DB_PORT,
      user: config.env.PARLEY_DB_USER,
      password: config.dbPassword,
      database,
      charset: 'utf8mb4',
      timezone: 'Z',
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: false,
      ...dbTls(config.env.PARLEY_DB_TLS_CA_FILE),
    },
    pool: { min: 0, max: config.env.PARLEY_DB_POOL_MAX },
    migrations: migrationConfig(),
  });
  return guardAtRest(db);
}

/** mysql2's TLS options when PARLEY_DB_TLS_CA_FILE names a CA: verified, never plain. */
export function dbTls(caFile: string): { ssl?: { ca: Buffer; rejectUnauthorized: true } } {
  return caFile ? { ssl: { ca: readFileSync(caFile), rejectUnauthorized: true } } : {};
}

export { ER_DUP_ENTRY, ER_LOCK_DEADLOCK, sqlErrno } from './sqlErrors.ts';
