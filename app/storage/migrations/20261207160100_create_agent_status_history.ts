import type { Knex } from 'knex';

// Issue 14: every change of an agent's status, with its cause, for reports (agent, time range).
// Written in the same transaction as the change and its audit entry.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_status_history', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.enum('status', ['online', 'away', 'offline']).notNullable();
    t.enum('previous', ['online', 'away', 'offline']).notNullable();
    t.enum('cause', [
      'chosen',
      'idle',
      'activity',
      'connect',
      'disconnect',
      'signout',
      'admin',
    ]).notNullable();
    t.dateTime('at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.index(['agent_id', 'at'], 'agent_status_history_agent_at_idx');
    t.index(['at'], 'agent_status_history_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_status_history');
}
