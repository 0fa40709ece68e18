import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export function visitorsRepo(store: Store) {
  const db = knexOf(store);
  return {
    async ensure(id: string): Promise<void> {
      await db('visitors')
        .insert({ id })
        .onConflict('id')
        .merge({ last_seen_at: db.fn.now(3) });
    },
    updateContact: (id: string, name: string | null, email: string | null) =>
      db('visitors')
        .where({ id })
        .update({ name, email, last_seen_at: db.fn.now(3) }),
  };
}
