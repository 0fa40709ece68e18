import type { Knex } from 'knex';

// Canned messages (issue 14): an agent's own (personal), a department's, or everyone's (global).
// `scope_key` names the scope ('agent:7', 'department:3', 'global') so a shortcut is unique within it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('canned_messages', (t) => {
    t.bigIncrements('id').primary();
    t.enum('scope', ['personal', 'department', 'global']).notNullable();
    t.bigInteger('agent_id').unsigned().nullable().references('agents.id').onDelete('CASCADE');
    t.integer('department_id')
      .unsigned()
      .nullable()
      .references('departments.id')
      .onDelete('CASCADE');
    t.specificType('scope_key', 'varchar(40) character set ascii').notNullable();
    t.string('shortcut', 32).notNullable();
    t.string('title', 100).notNullable();
    t.text('body').notNullable();
    t.bigInteger('created_by').unsigned().nullable().references('agents.id').onDelete('SET NULL');
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.dateTime('updated_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.unique(['scope_key', 'shortcut'], { indexName: 'canned_messages_scope_shortcut_uq' });
    t.index(['department_id'], 'canned_messages_department_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('canned_messages');
}
