import type { Knex } from 'knex';

// Each agent's last offer (least busy breaks ties by it) read as a loose index scan, whatever the
// history of offers holds.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('chat_offers', (t) => {
    t.index(['agent_id', 'offered_at'], 'chat_offers_agent_time_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('chat_offers', (t) => {
    t.dropIndex(['agent_id', 'offered_at'], 'chat_offers_agent_time_idx');
  });
}
