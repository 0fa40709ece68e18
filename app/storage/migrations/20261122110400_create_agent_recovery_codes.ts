import type { Knex } from 'knex';

// One-time recovery codes for TOTP, stored as keyed hashes; each can be used once.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_recovery_codes', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.specificType('code_hash', 'binary(32)').notNullable();
    t.dateTime('created_at', { precision: 3 }).notNullable();
    t.dateTime('used_at', { precision: 3 }).nullable();
    t.unique(['agent_id', 'code_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_recovery_codes');
}
