import type { Knex } from 'knex';

// Issue 15: every promotion of a standby (make failover, make failback), written on the promoted
// site right after it became writable, so it replicates to the other site when it rejoins. Read
// by make dr-status ("last failover") and by the anti-flap guard.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dr_failovers', (t) => {
    t.bigIncrements('id');
    t.datetime('at', { precision: 3 }).notNullable().index();
    t.string('kind', 16).notNullable(); // failover | failback
    t.string('from_site', 255).notNullable();
    t.string('to_site', 255).notNullable();
    t.boolean('forced').notNullable();
    /** What the promotion lost: 'none', a GTID gap, or 'unknown' (old primary unreachable). */
    t.string('recovery_point', 1000).notNullable();
    t.integer('lost_transactions').unsigned().nullable();
    t.string('promoted_at_gtid', 255).notNullable();
    t.string('by', 255).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dr_failovers');
}
