import type { Knex } from 'knex';

// A whisper or transfer note (issue 14): a message only agents see, never the visitor.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.boolean('internal').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('internal');
  });
}
