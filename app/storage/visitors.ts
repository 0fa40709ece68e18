import type { Db } from './db.ts';

export function visitorsRepo(db: Db) {
  return {
    async ensure(id: string): Promise<void> {
      await db.raw(
        'INSERT INTO visitors (id) VALUES (?) ON DUPLICATE KEY UPDATE last_seen_at = NOW(3)',
        [id],
      );
    },
    updateContact: (id: string, name: string | null, email: string | null) =>
      db('visitors')
        .where({ id })
        .update({ name, email, last_seen_at: db.fn.now(3) }),
  };
}
