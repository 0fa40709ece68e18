import type { Knex } from 'knex';

// Issue 14: an online agent of this role with no console activity for this many minutes becomes
// away; null = never. Hundredths of a minute, so a short setting can be tested in seconds.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('roles', (t) => {
    t.decimal('away_after_minutes', 7, 2).unsigned().nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('roles', (t) => {
    t.dropColumn('away_after_minutes');
  });
}
