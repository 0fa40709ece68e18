import type { Knex } from 'knex';

// A file shared in a chat, stored only after clamd answered OK. The bytes live encrypted on the files
// volume under `storage_key`; the name is kept here, apart from them. `wrapped_key` is the file's own
// AES-256-GCM key encrypted by the master key (iv ‖ ciphertext ‖ tag); deleting the row destroys it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('files', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('chat_id').unsigned().notNullable().references('chats.id').onDelete('CASCADE');
    t.enum('uploader_kind', ['visitor', 'agent']).notNullable();
    t.bigInteger('uploader_agent_id').unsigned().nullable().references('agents.id');
    t.specificType('uploader_visitor_id', 'char(36) character set ascii').nullable();
    t.string('name', 255).notNullable();
    t.bigInteger('size').unsigned().notNullable();
    t.string('type', 100).notNullable();
    t.specificType('storage_key', 'char(32) character set ascii').notNullable().unique();
    t.specificType('wrapped_key', 'varbinary(60)').notNullable();
    t.specificType('iv', 'varbinary(12)').notNullable();
    t.specificType('tag', 'varbinary(16)').notNullable();
    t.string('scanner', 100).notNullable();
    t.dateTime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.index(['chat_id'], 'files_chat_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('files');
}
