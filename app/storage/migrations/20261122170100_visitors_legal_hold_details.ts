import type { Knex } from 'knex';

// Why, when and by whom a visitor was put under legal hold (PUT /api/visitors/:id/legal-hold).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'ALTER TABLE visitors ADD COLUMN legal_hold_reason VARCHAR(500) NULL, ADD COLUMN legal_hold_at DATETIME(3) NULL, ADD COLUMN legal_hold_by BIGINT UNSIGNED NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'ALTER TABLE visitors DROP COLUMN legal_hold_reason, DROP COLUMN legal_hold_at, DROP COLUMN legal_hold_by',
  );
}
