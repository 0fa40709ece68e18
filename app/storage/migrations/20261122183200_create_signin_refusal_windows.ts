import type { Knex } from 'knex';

// Refused sign-ins that name no account (and throttle refusals), counted per source address and
// window instead of one audit entry each: one summary entry per address and window is written when
// the window closes. Never the emails typed.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signin_refusal_windows', (t) => {
    t.string('address', 45).primary();
    t.dateTime('window_started_at', { precision: 3 }).notNullable().index();
    t.dateTime('first_at', { precision: 3 }).notNullable();
    t.dateTime('last_at', { precision: 3 }).notNullable();
    t.integer('refusals').unsigned().notNullable().defaultTo(0);
    t.integer('lockouts').unsigned().notNullable().defaultTo(0);
    t.integer('distinct_emails').unsigned().notNullable().defaultTo(0);
    // {reason: count}; reasons come from the code, never from the request.
    t.json('reasons').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signin_refusal_windows');
}
