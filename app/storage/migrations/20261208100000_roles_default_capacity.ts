import type { Knex } from 'knex';

// Issue 14: how many chats at once routing gives an agent of this role (1..50, checked by the
// route); null: the department's and global defaults decide. An agent's own limit wins over it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('roles', (t) => {
    t.integer('default_capacity').unsigned().nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('roles', (t) => {
    t.dropColumn('default_capacity');
  });
}
