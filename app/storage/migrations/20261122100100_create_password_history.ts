import type { Knex } from 'knex';

// Every password an agent has had (argon2id hashes only): reuse checks, the time of the last change
// (expiry, minimum interval) and how many admin resets happened in the last day.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('password_history', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.string('password_hash', 255).notNullable();
    t.enum('reason', ['created', 'reset', 'changed']).notNullable();
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.index(['agent_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('password_history');
}
