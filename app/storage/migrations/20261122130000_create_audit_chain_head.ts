import type { Knex } from 'knex';

// One row (id 1): the newest audit entry's id and hash. Writers lock it to append one at a time,
// across every process, and `make audit-verify` compares it with the log's tail, so removing the
// newest entries is detected too.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_chain_head', (t) => {
    t.tinyint('id').unsigned().primary();
    t.bigInteger('last_id').unsigned().notNullable();
    t.specificType('last_hash', 'binary(32)').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_chain_head');
}
