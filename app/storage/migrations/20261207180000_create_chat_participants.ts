import type { Knex } from 'knex';

// Who takes part in a chat besides its visitor (issue 14): its owners over time (transfers), agents
// who joined, and supervisors who monitor it. A row with `left_at` null is current.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('chat_participants', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('chat_id').unsigned().notNullable().references('chats.id').onDelete('CASCADE');
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.enum('role', ['owner', 'joined', 'monitor']).notNullable();
    t.dateTime('since', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.dateTime('left_at', { precision: 3 }).nullable();
    t.index(['chat_id', 'left_at'], 'chat_participants_chat_idx');
    t.index(['agent_id', 'left_at'], 'chat_participants_agent_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('chat_participants');
}
