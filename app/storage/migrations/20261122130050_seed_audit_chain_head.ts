import type { Knex } from 'knex';

// The chain head starts at the newest entry already written (or before the first one).
export async function up(knex: Knex): Promise<void> {
  const last = await knex<{ id: number; hash: Buffer }>('audit_events')
    .orderBy('id', 'desc')
    .first('id', 'hash');
  await knex('audit_chain_head')
    .insert({ id: 1, last_id: last?.id ?? 0, last_hash: last?.hash ?? Buffer.alloc(32) })
    .onConflict('id')
    .ignore();
}

export async function down(knex: Knex): Promise<void> {
  await knex('audit_chain_head').where({ id: 1 }).delete();
}
