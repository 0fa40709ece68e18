import type { Knex } from 'knex';

// Issue 14, availability: why the current status holds (an idle away comes back on activity, a
// chosen one does not), when the agent last did something in the console (the idle sweep reads it,
// in whichever process runs it), and when their last console socket went (the grace period).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('agent_presence', (t) => {
    t.enum('cause', ['chosen', 'idle', 'activity', 'connect', 'disconnect', 'signout', 'admin'])
      .notNullable()
      .defaultTo('connect');
    t.dateTime('last_activity_at', { precision: 3 }).nullable();
    t.dateTime('disconnected_at', { precision: 3 }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('agent_presence', (t) => {
    t.dropColumn('cause');
    t.dropColumn('last_activity_at');
    t.dropColumn('disconnected_at');
  });
}
