import type { Knex } from 'knex';

// Solved CAPTCHA challenges already used, until they expire: each solution buys one sign-in try.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signin_captcha_spent', (t) => {
    t.specificType('challenge_hash', 'binary(32)').primary();
    t.dateTime('expires_at', { precision: 3 }).notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signin_captcha_spent');
}
