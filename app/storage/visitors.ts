import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export function visitorsRepo(store: Store) {
  const db = knexOf(store);
  return {
    /** The visitor with the contact details of their pre-chat form, created on their first chat. */
    saveContact: (id: string, name: string | null, email: string | null) =>
      db('visitors')
        .insert({ id, name, email })
        .onConflict('id')
        .merge({ name, email, last_seen_at: db.fn.now(3) }),
  };
}
