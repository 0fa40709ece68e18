import type { Knex } from 'knex';

// Browsers that signed in to an account (the device cookie, OWASP's "device cookies"): each keeps
// its own small allowance of failures, so a hostile client behind the same address cannot throttle
// it. Only a hash of the cookie's random nonce is kept.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signin_devices', (t) => {
    t.specificType('id_hash', 'binary(32)').primary();
    t.bigInteger('agent_id')
      .unsigned()
      .notNullable()
      .references('agents.id')
      .onDelete('CASCADE')
      .index();
    t.dateTime('created_at', { precision: 3 }).notNullable();
    t.dateTime('last_signin_at', { precision: 3 }).notNullable().index();
    t.dateTime('window_started_at', { precision: 3 }).nullable();
    t.integer('failures').unsigned().notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signin_devices');
}
