import type { Knex } from 'knex';

// Roles become data (admins may add their own); the column keeps its values.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'ALTER TABLE agents MODIFY role VARCHAR(50) NOT NULL DEFAULT ?, ADD CONSTRAINT agents_role_fk FOREIGN KEY (role) REFERENCES roles (name) ON UPDATE CASCADE',
    ['agent'],
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    "ALTER TABLE agents DROP FOREIGN KEY agents_role_fk, MODIFY role ENUM('admin','agent') NOT NULL DEFAULT 'agent'",
  );
}
