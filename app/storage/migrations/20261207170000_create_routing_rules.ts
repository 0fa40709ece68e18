import type { Knex } from 'knex';

// How chats of a department reach agents (issue 14). One row per department, keyed by its id; key 0
// is the rule for chats with no department, and its row is also the lock every routing decision
// takes (SELECT … FOR UPDATE), so two app processes never decide at once.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('routing_rules', (t) => {
    t.integer('department_key').unsigned().primary();
    t.enum('mode', ['manual', 'round_robin', 'least_busy']).notNullable().defaultTo('manual');
    t.integer('offer_timeout_seconds').unsigned().notNullable().defaultTo(30);
    t.integer('max_refusals').unsigned().notNullable().defaultTo(3);
    t.integer('default_capacity').unsigned().nullable();
    t.bigInteger('last_agent_id').unsigned().nullable();
    t.bigInteger('updated_by').unsigned().nullable();
    t.dateTime('updated_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('routing_rules');
}
