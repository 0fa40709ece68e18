import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex('roles').insert([
    { name: 'admin', description: 'Administrators: every permission', builtin: true },
    { name: 'agent', description: 'Agents: chat with visitors', builtin: true },
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex('roles').whereIn('name', ['admin', 'agent']).delete();
}
