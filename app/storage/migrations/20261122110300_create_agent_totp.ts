import type { Knex } from 'knex';

// An agent's TOTP secret, encrypted (AES-256-GCM, key derived from the secret key file).
// `enabled_at` is null while enrolment waits for the first code; `last_step` refuses replays.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_totp', (t) => {
    t.bigInteger('agent_id').unsigned().primary().references('agents.id').onDelete('CASCADE');
    t.specificType('secret', 'varbinary(255)').notNullable();
    t.dateTime('created_at', { precision: 3 }).notNullable();
    t.dateTime('enabled_at', { precision: 3 }).nullable();
    t.bigInteger('last_step').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_totp');
}
