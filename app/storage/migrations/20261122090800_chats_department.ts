import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('chats', (t) => {
    t.integer('department_id')
      .unsigned()
      .nullable()
      .references('departments.id')
      .onDelete('SET NULL');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('chats', (t) => {
    t.dropForeign(['department_id']);
    t.dropColumn('department_id');
  });
}
