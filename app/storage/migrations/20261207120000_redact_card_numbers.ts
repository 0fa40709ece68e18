import type { Knex } from 'knex';
import { redactCardNumbers } from '../../domain/masking/redaction.ts';

// Issue 12: card numbers stored before the storage boundary existed (audit entries included) are
// masked once, at update time; the audit log records the redaction. Nothing to undo on the way
// down: a masked number cannot be brought back, and the masked data is valid under either schema.
export async function up(knex: Knex): Promise<void> {
  await redactCardNumbers(knex);
}

export async function down(): Promise<void> {}
