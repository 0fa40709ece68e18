import knex from 'knex';
import { openDb, type Db } from '../../app/storage/db.ts';
import type { Config } from '../../config/load.ts';
import { testConfig } from './config.ts';

const TABLES = ['messages', 'chats', 'visitors', 'agent_sessions', 'agents'];

/** A connection with no database selected, to create and drop databases. */
export function serverConnection(config: Config = testConfig()): Db {
  return knex({
    client: 'mysql2',
    connection: {
      host: config.env.PARLEY_DB_HOST,
      port: config.env.PARLEY_DB_PORT,
      user: config.env.PARLEY_DB_USER,
      password: config.dbPassword,
    },
    pool: { min: 0, max: 1 },
  });
}

export async function recreateDatabase(name: string): Promise<void> {
  const server = serverConnection();
  try {
    await server.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    await server.raw(
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await server.destroy();
  }
}

export function testDb(config: Config = testConfig()): Db {
  return openDb(config);
}

/** Empties every table between tests; the schema stays. */
export async function truncateAll(db: Db): Promise<void> {
  await db.raw('SET FOREIGN_KEY_CHECKS = 0');
  try {
    for (const table of TABLES) await db.raw(`TRUNCATE TABLE \`${table}\``);
  } finally {
    await db.raw('SET FOREIGN_KEY_CHECKS = 1');
  }
}
