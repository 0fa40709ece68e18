import type { Knex } from 'knex';

// What the domain holds of the database: a handle it passes to repositories and transactions, and
// cannot query itself (it is not callable; its one property is opaque). Every SQL statement is in
// app/storage/. A knex instance or transaction is a Store; a repository turns it back into knex
// with knexOf (storage/db.ts, which the domain may not import).

export interface Store {
  readonly client: unknown;
}

const knexOf = (store: Store): Knex => store as Knex; // storage/db.ts exports it to repositories

/**
 * Runs `work` in one transaction (a savepoint inside a caller's transaction) and commits when it
 * resolves: multi-table writes are commands in one transaction (STYLE.md habit 4).
 */
export function transaction<T>(store: Store, work: (tx: Store) => Promise<T>): Promise<T> {
  return knexOf(store).transaction((trx) => work(trx));
}

/** Whether the store is already a transaction (work in it commits with the caller's). */
export const inTransaction = (store: Store): boolean =>
  (store as { isTransaction?: unknown }).isTransaction === true;

/** Runs `then` once the outermost transaction `tx` belongs to has committed (never if it rolls back). */
export function afterCommit(tx: Store, then: () => void): void {
  let outer = knexOf(tx) as Knex.Transaction;
  if (!outer.isTransaction) {
    then();
    return;
  }
  while (outer.parentTransaction) outer = outer.parentTransaction;
  outer.executionPromise.then(then, () => undefined);
}
