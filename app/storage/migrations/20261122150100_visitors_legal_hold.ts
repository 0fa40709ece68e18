import type { Knex } from 'knex';

// A legal hold on a visitor exempts the visitor and every chat of theirs from data retention.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE visitors ADD COLUMN legal_hold TINYINT(1) NOT NULL DEFAULT 0');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE visitors DROP COLUMN legal_hold');
}
