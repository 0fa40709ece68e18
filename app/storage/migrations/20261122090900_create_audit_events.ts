import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.dateTime('at', { precision: 3 }).notNullable();
    t.enum('actor_kind', ['agent', 'visitor', 'system']).notNullable();
    t.bigInteger('actor_id').unsigned().nullable();
    t.string('actor_label', 254).notNullable().defaultTo('');
    t.string('ip', 45).notNullable().defaultTo('');
    t.string('user_agent', 255).notNullable().defaultTo('');
    t.string('action', 64).notNullable();
    t.string('target_kind', 32).notNullable().defaultTo('');
    t.string('target_id', 64).notNullable().defaultTo('');
    t.integer('department_id').unsigned().nullable();
    t.enum('outcome', ['success', 'failure', 'denied']).notNullable();
    t.json('details').nullable();
    // sha256(previous hash || canonical entry): editing, removing or reordering a row breaks the chain.
    t.specificType('prev_hash', 'binary(32)').notNullable();
    t.specificType('hash', 'binary(32)').notNullable();
    t.index(['at']);
    t.index(['actor_id', 'at']);
    t.index(['action', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
}
