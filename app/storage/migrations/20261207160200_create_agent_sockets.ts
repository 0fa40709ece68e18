import type { Knex } from 'knex';

// Issue 14: the agents' live console sockets, in every app process. Without a shared adapter one
// process cannot see another's sockets; this table can. Each process refreshes `seen_at` for its
// own rows, so the rows of a process that died stop counting after a while.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_sockets', (t) => {
    t.specificType('socket_id', 'varchar(64) character set ascii collate ascii_bin').primary();
    t.bigInteger('agent_id').unsigned().notNullable().references('agents.id').onDelete('CASCADE');
    t.specificType('session_hash', 'binary(32)').notNullable();
    t.specificType('process_id', 'varchar(64) character set ascii collate ascii_bin').notNullable();
    t.dateTime('seen_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.index(['agent_id'], 'agent_sockets_agent_idx');
    t.index(['process_id'], 'agent_sockets_process_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_sockets');
}
