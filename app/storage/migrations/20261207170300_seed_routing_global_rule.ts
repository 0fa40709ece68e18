import type { Knex } from 'knex';

// The global routing rule (chats with no department, and departments without a rule of their own):
// manual, as Parley routed before issue 14. Its row is also the routing lock, so it must exist.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('INSERT IGNORE INTO routing_rules (department_key) VALUES (0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex('routing_rules').where({ department_key: 0 }).delete();
}
