import type { Knex } from 'knex';

// IP allow-lists for agent access: one row per address or CIDR range, for every agent (global),
// for one role, or for one agent. `cidr` is stored canonical (network address, prefix length).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ip_rules', (t) => {
    t.increments('id').primary();
    t.enum('scope', ['global', 'role', 'agent']).notNullable();
    t.string('role', 50)
      .nullable()
      .references('roles.name')
      .onDelete('CASCADE')
      .onUpdate('CASCADE');
    t.bigInteger('agent_id').unsigned().nullable().references('agents.id').onDelete('CASCADE');
    t.string('cidr', 43).notNullable();
    t.string('note', 200).notNullable().defaultTo('');
    t.bigInteger('created_by').unsigned().nullable().references('agents.id').onDelete('SET NULL');
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.index(['scope']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ip_rules');
}
