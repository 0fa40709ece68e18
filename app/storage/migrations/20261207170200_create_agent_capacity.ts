import type { Knex } from 'knex';

// An agent's own limit of concurrent chats (issue 14); it wins over the department's and the global default.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_capacity', (t) => {
    t.bigInteger('agent_id').unsigned().primary().references('agents.id').onDelete('CASCADE');
    t.integer('max_chats').unsigned().notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_capacity');
}
