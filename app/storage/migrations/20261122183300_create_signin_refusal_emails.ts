import type { Knex } from 'knex';

// The emails a window's refusals named, as keyed hashes (the same HMAC as signin_attempts), only
// to count how many distinct ones; deleted when the window's summary is written.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signin_refusal_emails', (t) => {
    t.string('address', 45).notNullable();
    t.specificType('email_hash', 'binary(32)').notNullable();
    t.primary(['address', 'email_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signin_refusal_emails');
}
