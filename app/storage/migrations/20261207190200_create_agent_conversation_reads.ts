import type { Knex } from 'knex';

// How far each agent has read each conversation: unread = messages of others after last_read_seq.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_conversation_reads', (t) => {
    t.bigInteger('conversation_id')
      .unsigned()
      .notNullable()
      .references('agent_conversations.id')
      .onDelete('CASCADE');
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.integer('last_read_seq').unsigned().notNullable().defaultTo(0);
    t.primary(['conversation_id', 'agent_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_conversation_reads');
}
