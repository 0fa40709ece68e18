import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('roles', (t) => {
    t.string('name', 50).primary();
    t.string('description', 255).notNullable().defaultTo('');
    // Built-in roles cannot be deleted; their grants can still be changed.
    t.boolean('builtin').notNullable().defaultTo(false);
    t.boolean('require_totp').notNullable().defaultTo(false);
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('roles');
}
