import { hashOf } from '../../app/domain/audit/chain.ts';
import { auditRowQuery as auditRows } from '../../app/storage/auditEvents.ts';
import type { Db } from '../../app/storage/db.ts';

// What someone with write access to the database could do to the audit log, done in plain SQL.

const CONTENT = [
  'at',
  'actor_kind',
  'actor_id',
  'actor_label',
  'ip',
  'user_agent',
  'action',
  'target_kind',
  'target_id',
  'department_id',
  'outcome',
  'details',
  'prev_hash',
  'hash',
] as const;

export function auditTampering(db: Db) {
  const row = async (id: number) => {
    const found = await auditRows(db).where({ id }).first();
    if (!found) throw new Error(`no audit entry ${id}`);
    return found;
  };
  return {
    editDetails: (id: number) =>
      db('audit_events').where({ id }).update({ details: '{"edited":true}' }),

    /** Edits an entry and recomputes its own hash, as a careful forger would. */
    async editAndRehash(id: number) {
      const original = await row(id);
      const forged = { ...original, outcome: 'failure' as const };
      await db('audit_events')
        .where({ id })
        .update({ outcome: forged.outcome, hash: hashOf(forged) });
    },

    remove: (id: number) => db('audit_events').where({ id }).delete(),

    /** Swaps everything but the ids of two entries. */
    async swap(a: number, b: number) {
      const [first, second] = [await row(a), await row(b)];
      const content = (source: typeof first) =>
        Object.fromEntries(CONTENT.map((column) => [column, source[column]]));
      await db.transaction(async (trx) => {
        await trx('audit_events').where({ id: a }).update(content(second));
        await trx('audit_events').where({ id: b }).update(content(first));
      });
    },
  };
}
