import type { Knex } from 'knex';

// What the built-in `agent` role may do out of the box. (`admin` holds every permission by definition.)
const defaults = [
  'chats.accept',
  'chats.refuse',
  'chats.join',
  'chats.agent_chat',
  'transcripts.view_department',
];

export async function up(knex: Knex): Promise<void> {
  await knex('permission_grants').insert(
    defaults.map((permission) => ({ permission, role: 'agent', scope: 'all' })),
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex('permission_grants').where({ role: 'agent' }).whereIn('permission', defaults).delete();
}
