import type { Knex } from 'knex';

// A sign-in that passed the password step and waits for the TOTP code. It is not a session:
// nothing but the code step accepts it, and it lives for minutes.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signin_pending', (t) => {
    t.specificType('id_hash', 'binary(32)').primary();
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.dateTime('expires_at', { precision: 3 }).notNullable().index();
    t.integer('failures').unsigned().notNullable().defaultTo(0);
    t.string('ip', 45).notNullable();
    t.string('user_agent', 255).notNullable().defaultTo('');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signin_pending');
}
