import type { Knex } from 'knex';

// Consecutive sign-in failures per email address, whether or not an account has it: an unknown
// address is treated exactly like a known one, so the answers tell nothing about which exist.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signin_attempts', (t) => {
    // HMAC of the lower-cased email: the table never lists the addresses people typed.
    t.specificType('email_hash', 'binary(32)').primary();
    t.bigInteger('agent_id').unsigned().nullable().references('agents.id').onDelete('CASCADE');
    t.integer('failures').unsigned().notNullable().defaultTo(0);
    t.dateTime('last_failure_at', { precision: 3 }).notNullable();
    t.dateTime('locked_until', { precision: 3 }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signin_attempts');
}
