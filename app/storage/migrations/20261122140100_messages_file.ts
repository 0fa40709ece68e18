import type { Knex } from 'knex';

// A message that shares a file points at it; deleting the file (retention, erasure) leaves the
// message, without the file. One ALTER statement, so it applies (or not) as a whole.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'ALTER TABLE messages ADD COLUMN file_id BIGINT UNSIGNED NULL, ' +
      'ADD CONSTRAINT messages_file_fk FOREIGN KEY (file_id) REFERENCES files (id) ON DELETE SET NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE messages DROP FOREIGN KEY messages_file_fk, DROP COLUMN file_id');
}
