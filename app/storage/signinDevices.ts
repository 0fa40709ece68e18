import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface SigninDeviceRow {
  id_hash: Buffer;
  agent_id: number;
  created_at: Date;
  last_signin_at: Date;
  window_started_at: Date | null;
  failures: number;
}

/** Browsers trusted for one account each (device cookies), with their own failure window. */
export function signinDevicesRepo(store: Store) {
  const db = knexOf(store);
  return {
    byHash: (idHash: Buffer) =>
      db<SigninDeviceRow>('signin_devices').where({ id_hash: idHash }).first(),

    insert: (row: Omit<SigninDeviceRow, 'window_started_at' | 'failures'>) =>
      db('signin_devices').insert({ ...row, window_started_at: null, failures: 0 }),

    /** A successful sign-in from the device: its failures start over. */
    signedIn: (idHash: Buffer, at: Date) =>
      db('signin_devices')
        .where({ id_hash: idHash })
        .update({ last_signin_at: at, failures: 0, window_started_at: null }),

    /**
     * Counts one try in the device's current window (a new window when it ran out) and returns
     * the count this try made, from the same statement: exact under a burst.
     */
    addFailure: (idHash: Buffer, at: Date, windowStart: Date): Promise<number> =>
      db.transaction(async (trx) => {
        // One connection for both statements: LAST_INSERT_ID() is per connection.
        const [result] = (await trx.raw(
          `UPDATE signin_devices SET
             failures = LAST_INSERT_ID(IF(window_started_at IS NULL OR window_started_at <= ?, 1, failures + 1)),
             window_started_at = IF(window_started_at IS NULL OR window_started_at <= ?, ?, window_started_at)
           WHERE id_hash = ?`,
          [windowStart, windowStart, at, idHash],
        )) as [{ affectedRows: number }];
        if (result.affectedRows !== 1) return Number.MAX_SAFE_INTEGER; // gone: no allowance left
        const [rows] = (await trx.raw('SELECT LAST_INSERT_ID() AS n')) as [{ n: number }[]];
        return Number(rows[0]?.n ?? Number.MAX_SAFE_INTEGER);
      }),

    removeFailure: (idHash: Buffer) =>
      db('signin_devices')
        .where({ id_hash: idHash })
        .update({ failures: db.raw('IF(failures > 0, failures - 1, 0)') }),

    /** Ends the trust of every browser of the agent; returns how many. */
    removeForAgent: (agentId: number) => db('signin_devices').where({ agent_id: agentId }).delete(),

    /** Deletes devices with no sign-in since `before` (their cookie has expired too). */
    purge: (before: Date) => db('signin_devices').where('last_signin_at', '<=', before).delete(),
  };
}

export type SigninDevicesRepo = ReturnType<typeof signinDevicesRepo>;
