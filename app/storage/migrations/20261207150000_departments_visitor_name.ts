import type { Knex } from 'knex';

// What the pre-chat form calls a department (issue 14); NULL shows the department's own name.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE departments ADD COLUMN visitor_name VARCHAR(100) NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE departments DROP COLUMN visitor_name');
}
