import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_departments', (t) => {
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.integer('department_id')
      .unsigned()
      .notNullable()
      .references('departments.id')
      .onDelete('CASCADE');
    t.primary(['agent_id', 'department_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_departments');
}
