import type { Knex } from 'knex';

// One row (id 1) once audit retention has deleted the oldest entries: the id and hash of the last
// deleted entry. `verifyChain` starts from it instead of genesis, so the kept entries still verify
// and removing one more old entry is still detected. No row: the chain starts at genesis.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_chain_anchor', (t) => {
    t.tinyint('id').unsigned().primary();
    t.bigInteger('anchor_id').unsigned().notNullable();
    t.specificType('anchor_hash', 'binary(32)').notNullable();
    t.dateTime('moved_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_chain_anchor');
}
