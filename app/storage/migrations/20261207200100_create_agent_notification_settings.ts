import type { Knex } from 'knex';

// An agent's notification settings (issue 14): sound and desktop, per kind of event. No row reads as
// the defaults (all on); only the agent changes their own.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_notification_settings', (t) => {
    t.bigInteger('agent_id').unsigned().primary().references('agents.id').onDelete('CASCADE');
    for (const kind of ['offer', 'queue', 'message']) {
      t.boolean(`${kind}_sound`).notNullable().defaultTo(true);
      t.boolean(`${kind}_desktop`).notNullable().defaultTo(true);
    }
    t.dateTime('updated_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_notification_settings');
}
