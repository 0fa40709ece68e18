import knex from 'knex';
import { openDb, type Db } from '../../app/storage/db.ts';
import type { Config } from '../../config/load.ts';
import { TEST_DB, testConfig } from './config.ts';
import { up as seedBuiltinRoles } from '../../app/storage/migrations/20261122090100_seed_builtin_roles.ts';
import { up as seedAgentRoleGrants } from '../../app/storage/migrations/20261122091000_seed_agent_role_grants.ts';
import { up as seedAuditChainHead } from '../../app/storage/migrations/20261122130050_seed_audit_chain_head.ts';
import { up as seedRoutingGlobalRule } from '../../app/storage/migrations/20261207170300_seed_routing_global_rule.ts';

const TABLES = [
  'agent_status_history',
  'agent_sockets',
  'agent_conversation_reads',
  'agent_messages',
  'agent_conversations',
  'chat_offers',
  'routing_rules',
  'agent_capacity',
  'agent_presence',
  'canned_messages',
  'agent_notification_settings',
  'chat_participants',
  'messages',
  'dr_file_shipments',
  'files',
  'chats',
  'visitors',
  'agent_sessions',
  'signin_attempts',
  'signin_address_failures',
  'signin_captcha_spent',
  'signin_devices',
  'signin_refusal_windows',
  'signin_refusal_emails',
  'signin_pending',
  'agent_totp',
  'agent_recovery_codes',
  'ip_rules',
  'agent_departments',
  'agent_group_members',
  'permission_grants',
  'agents',
  'departments',
  'agent_groups',
  'audit_events',
  'audit_chain_head',
  'audit_chain_anchor',
  'settings',
  'password_history',
  'roles',
];

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

/**
 * A handle without the storage boundary: writes as a Parley older than issue 12 did, to seed card
 * numbers that an existing install may hold.
 */
export function legacyDb(database = TEST_DB, config: Config = testConfig()): Db {
  return knex({
    client: 'mysql2',
    connection: {
      host: config.env.PARLEY_DB_HOST,
      port: config.env.PARLEY_DB_PORT,
      user: config.env.PARLEY_DB_USER,
      password: config.dbPassword,
      database,
      charset: 'utf8mb4',
      timezone: 'Z',
    },
    pool: { min: 0, max: 2 },
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

/** Empties every table between tests and puts back what migrations seed; the schema stays. */
export async function truncateAll(db: Db): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('SET FOREIGN_KEY_CHECKS = 0');
    try {
      for (const table of TABLES) await trx.raw(`TRUNCATE TABLE \`${table}\``);
    } finally {
      await trx.raw('SET FOREIGN_KEY_CHECKS = 1');
    }
  });
  await seedBuiltinRoles(db);
  await seedAgentRoleGrants(db);
  await seedAuditChainHead(db);
  await seedRoutingGlobalRule(db);
}
