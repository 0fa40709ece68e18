import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('visitors', (t) => {
    t.specificType('id', 'char(36) character set ascii').primary();
    t.string('name', 100).nullable();
    t.string('email', 254).nullable();
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.dateTime('last_seen_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('visitors');
}
