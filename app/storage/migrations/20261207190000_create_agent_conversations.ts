import type { Knex } from 'knex';

// Agent-to-agent chat (issue 14): a direct conversation between two agents (agent_low < agent_high,
// unique, so a pair has one) or a department's room (one per department). Its message counter is
// bumped under the row lock in the same transaction as each message insert.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_conversations', (t) => {
    t.bigIncrements('id').primary();
    t.enum('kind', ['direct', 'department']).notNullable();
    t.bigInteger('agent_low').unsigned().nullable().references('agents.id').onDelete('CASCADE');
    t.bigInteger('agent_high').unsigned().nullable().references('agents.id').onDelete('CASCADE');
    t.integer('department_id')
      .unsigned()
      .nullable()
      .references('departments.id')
      .onDelete('CASCADE');
    t.integer('last_seq').unsigned().notNullable().defaultTo(0);
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.unique(['agent_low', 'agent_high'], { indexName: 'agent_conversations_pair_uq' });
    t.unique(['department_id'], { indexName: 'agent_conversations_department_uq' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_conversations');
}
