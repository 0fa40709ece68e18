import type { Knex } from 'knex';

// A chat offered to one agent by routing (issue 14); `outcome` is null while the offer is open.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('chat_offers', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('chat_id').unsigned().notNullable().references('chats.id').onDelete('CASCADE');
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.dateTime('offered_at', { precision: 3 }).notNullable();
    t.dateTime('expires_at', { precision: 3 }).notNullable();
    t.enum('outcome', ['accepted', 'refused', 'timed_out', 'withdrawn']).nullable();
    t.string('reason', 500).nullable();
    t.dateTime('decided_at', { precision: 3 }).nullable();
    t.index(['chat_id', 'outcome'], 'chat_offers_chat_idx');
    t.index(['agent_id', 'outcome'], 'chat_offers_agent_idx');
    t.index(['outcome', 'expires_at'], 'chat_offers_open_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('chat_offers');
}
