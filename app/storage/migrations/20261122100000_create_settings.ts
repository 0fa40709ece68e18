import type { Knex } from 'knex';

// Settings admins change at run time (the password policy first), one JSON document per key.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('settings', (t) => {
    t.string('key', 64).primary();
    t.json('value').notNullable();
    t.bigInteger('updated_by').unsigned().nullable();
    t.dateTime('updated_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('settings');
}
