import type { Knex } from 'knex';

// Whether the pre-chat form offers the department to visitors (issue 14); none is until an admin says.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE departments ADD COLUMN offered BOOLEAN NOT NULL DEFAULT FALSE');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE departments DROP COLUMN offered');
}
