import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('chats', (t) => {
    t.bigIncrements('id').primary();
    t.specificType('visitor_id', 'char(36) character set ascii')
      .notNullable()
      .references('visitors.id');
    t.bigInteger('agent_id').unsigned().nullable().references('agents.id');
    t.enum('status', ['queued', 'active', 'ended']).notNullable().defaultTo('queued');
    t.string('visitor_name', 100).nullable();
    t.string('visitor_email', 254).nullable();
    t.string('question', 1000).nullable();
    // Per-chat message counter; incremented in the same transaction as the message insert.
    t.integer('last_seq').unsigned().notNullable().defaultTo(0);
    t.enum('ended_by', ['visitor', 'agent', 'system']).nullable();
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.dateTime('accepted_at', { precision: 3 }).nullable();
    t.dateTime('ended_at', { precision: 3 }).nullable();
    t.index(['status', 'created_at'], 'chats_status_created_idx');
    t.index(['visitor_id', 'status'], 'chats_visitor_status_idx');
    t.index(['agent_id', 'status'], 'chats_agent_status_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('chats');
}
