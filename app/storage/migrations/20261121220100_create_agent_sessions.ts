import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_sessions', (t) => {
    // sha256 of the cookie value: a database dump never holds a usable session id.
    t.specificType('id_hash', 'binary(32)').primary();
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.dateTime('created_at', { precision: 3 }).notNullable();
    t.dateTime('last_seen_at', { precision: 3 }).notNullable();
    t.dateTime('expires_at', { precision: 3 }).notNullable().index();
    t.string('ip', 45).notNullable();
    t.string('user_agent', 255).notNullable().defaultTo('');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_sessions');
}
