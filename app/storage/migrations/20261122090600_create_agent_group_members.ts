import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_group_members', (t) => {
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.integer('group_id')
      .unsigned()
      .notNullable()
      .references('agent_groups.id')
      .onDelete('CASCADE');
    t.primary(['agent_id', 'group_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_group_members');
}
