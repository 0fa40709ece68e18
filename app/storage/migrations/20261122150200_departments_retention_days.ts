import type { Knex } from 'knex';

// A department's own retention period for its chats, in days; NULL follows PARLEY_RETENTION_DAYS.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE departments ADD COLUMN retention_days INT UNSIGNED NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE departments DROP COLUMN retention_days');
}
