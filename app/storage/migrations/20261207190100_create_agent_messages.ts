import type { Knex } from 'knex';

// A message between agents: ordered by seq within its conversation, unique by the sender's client
// id (a resend finds the stored row), deleted by data retention by age (created_at).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_messages', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('conversation_id')
      .unsigned()
      .notNullable()
      .references('agent_conversations.id')
      .onDelete('CASCADE');
    t.integer('seq').unsigned().notNullable();
    t.specificType('client_id', 'varchar(64) character set ascii').notNullable();
    t.bigInteger('author_agent_id')
      .unsigned()
      .notNullable()
      .references('agents.id')
      .onDelete('CASCADE');
    t.text('body').notNullable();
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.unique(['conversation_id', 'seq'], { indexName: 'agent_messages_conversation_seq_uq' });
    t.unique(['conversation_id', 'client_id'], {
      indexName: 'agent_messages_conversation_client_uq',
    });
    t.index(['created_at'], 'agent_messages_created_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_messages');
}
