import type { Knex } from 'knex';

// A legal hold exempts a chat (its messages and files) from data retention.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE chats ADD COLUMN legal_hold TINYINT(1) NOT NULL DEFAULT 0');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE chats DROP COLUMN legal_hold');
}
