import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('messages', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('chat_id').unsigned().notNullable().references('chats.id').onDelete('CASCADE');
    t.integer('seq').unsigned().notNullable();
    // The sender's own id for the message: a resend after a reconnect finds the stored row.
    t.specificType('client_id', 'varchar(64) character set ascii').notNullable();
    t.enum('author_kind', ['visitor', 'agent', 'system']).notNullable();
    t.bigInteger('author_agent_id').unsigned().nullable().references('agents.id');
    t.text('body').notNullable();
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.unique(['chat_id', 'seq'], { indexName: 'messages_chat_seq_uq' });
    t.unique(['chat_id', 'client_id'], { indexName: 'messages_chat_client_uq' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('messages');
}
