import type { Knex } from 'knex';

// An agent's availability as routing and the admins' board read it (issue 14). One row per agent
// who has ever opened the console; no row reads as offline. The availability capability owns the
// rules that change it; routing only reads `status = 'online'`.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_presence', (t) => {
    t.bigInteger('agent_id').unsigned().primary().references('agents.id').onDelete('CASCADE');
    t.enum('status', ['online', 'away', 'offline']).notNullable().defaultTo('offline');
    t.dateTime('changed_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.index(['status'], 'agent_presence_status_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_presence');
}
