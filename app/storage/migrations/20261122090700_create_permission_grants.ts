import type { Knex } from 'knex';

// A grant gives one permission to a role or to one agent, over all departments, some departments,
// or the departments of some agent groups' members.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('permission_grants', (t) => {
    t.increments('id').primary();
    t.string('permission', 64).notNullable();
    t.string('role', 50)
      .nullable()
      .references('roles.name')
      .onDelete('CASCADE')
      .onUpdate('CASCADE');
    t.bigInteger('agent_id').unsigned().nullable().references('agents.id').onDelete('CASCADE');
    t.enum('scope', ['all', 'departments', 'groups']).notNullable().defaultTo('all');
    t.json('scope_ids').nullable();
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.index(['role']);
    t.index(['agent_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('permission_grants');
}
