import type { Knex } from 'knex';

// Department-scoped audit viewers page newest-first within their departments.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.index(['department_id', 'id'], 'audit_events_department_id_id_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['department_id', 'id'], 'audit_events_department_id_id_index');
  });
}
