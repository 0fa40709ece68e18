import type { Knex } from 'knex';

// A department's waiting chats, oldest first, straight from an index (routing reads them on every
// decision and the queue on every change): without it MariaDB walked every queued chat of every
// department in created_at order to find one department's. Status leads, so the foreign key keeps
// its own index on department_id (InnoDB would drop it for one that starts with the same column).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('chats', (t) => {
    t.index(['status', 'department_id', 'created_at'], 'chats_status_department_created_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('chats', (t) => {
    t.dropIndex(['status', 'department_id', 'created_at'], 'chats_status_department_created_idx');
  });
}
