import type { Knex } from 'knex';

// Failed sign-ins per source address (an IPv6 /64 counts as one), in fixed windows; kept in the
// database so a restart does not reset the throttle.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signin_address_failures', (t) => {
    t.string('address', 45).primary();
    t.dateTime('window_started_at', { precision: 3 }).notNullable().index();
    t.integer('failures').unsigned().notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signin_address_failures');
}
