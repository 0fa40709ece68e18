import type { Knex } from 'knex';

// Issue 15: a stored file's blob that has been written whole to the standby site (uploaded under
// a temporary name, fsynced, renamed into its store/). Written on the primary; it replicates with
// everything else, so either side can tell what the other has. No foreign key to files: a row
// whose file is gone (retention, erasure) says the standby's copy is still to be removed.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dr_file_shipments', (t) => {
    t.specificType('storage_key', 'char(32) character set ascii').primary();
    t.bigInteger('bytes').unsigned().notNullable();
    t.dateTime('shipped_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dr_file_shipments');
}
