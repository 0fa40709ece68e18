import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface SigninAttemptRow {
  email_hash: Buffer;
  agent_id: number | null;
  failures: number;
  last_failure_at: Date;
  locked_until: Date | null;
}

export interface AddressFailureRow {
  address: string;
  window_started_at: Date;
  failures: number;
}

/** Consecutive failures per email, failures per source address, and spent CAPTCHA challenges. */
export function signinFailuresRepo(store: Store) {
  const db = knexOf(store);
  return {
    attempt: (emailHash: Buffer) =>
      db<SigninAttemptRow>('signin_attempts').where({ email_hash: emailHash }).first(),
    /**
     * Adds one failure in a single statement (parallel failures all count). A lock that has run
     * out is cleared and the count restarts from the CAPTCHA threshold.
     */
    countFailure: (emailHash: Buffer, agentId: number | null, at: Date, captchaAfter: number) =>
      db.raw(
        `INSERT INTO signin_attempts (email_hash, agent_id, failures, last_failure_at, locked_until)
         VALUES (?, ?, 1, ?, NULL)
         ON DUPLICATE KEY UPDATE
           failures = IF(locked_until IS NOT NULL AND locked_until <= ?, LEAST(failures, ?), failures) + 1,
           locked_until = IF(locked_until IS NOT NULL AND locked_until <= ?, NULL, locked_until),
           agent_id = VALUES(agent_id),
           last_failure_at = VALUES(last_failure_at)`,
        [emailHash, agentId, at, at, captchaAfter, at],
      ),
    /** Locks once the count reaches `lockAfter`; true for the one failure that started the lock. */
    async lockIfDue(emailHash: Buffer, lockAfter: number, at: Date, until: Date) {
      const updated = await db('signin_attempts')
        .where({ email_hash: emailHash })
        .andWhere('failures', '>=', lockAfter)
        .andWhereRaw('(locked_until IS NULL OR locked_until <= ?)', [at])
        .update({ locked_until: until });
      return Number(updated) === 1;
    },
    clearAttempt: (emailHash: Buffer) =>
      db('signin_attempts').where({ email_hash: emailHash }).delete(),
    /** Clears the agent's lock and count; returns whether one was locked at `at`. */
    async clearForAgent(agentId: number, emailHash: Buffer, at: Date): Promise<boolean> {
      const query = () =>
        db<SigninAttemptRow>('signin_attempts')
          .where({ agent_id: agentId })
          .orWhere({ email_hash: emailHash });
      const rows = await query();
      await query().delete();
      return rows.some((row) => row.locked_until !== null && row.locked_until > at);
    },
    /** Known agents locked at `at`, for the admin console. */
    lockedAgents: (at: Date) =>
      db('signin_attempts as s')
        .join('agents as a', 'a.id', 's.agent_id')
        .where('s.locked_until', '>', at)
        .select('a.id', 'a.name', 'a.email', 's.failures', 's.locked_until')
        .orderBy('s.locked_until', 'desc') as Promise<
        { id: number; name: string; email: string; failures: number; locked_until: Date }[]
      >,
    lockedAgentIds: (agentIds: number[], at: Date) =>
      db('signin_attempts')
        .whereIn('agent_id', agentIds)
        .where('locked_until', '>', at)
        .pluck('agent_id') as Promise<number[]>,

    addressFailures: (address: string) =>
      db<AddressFailureRow>('signin_address_failures').where({ address }).first(),
    /**
     * Counts one failure in the address's current window (a new window when it ran out) and
     * returns the count this failure made: exact under a burst, as it comes from the same statement.
     */
    addAddressFailure: (address: string, at: Date, windowStart: Date): Promise<number> =>
      db.transaction(async (trx) => {
        // One connection for both statements: LAST_INSERT_ID() is per connection.
        const [result] = (await trx.raw(
          `INSERT INTO signin_address_failures (address, window_started_at, failures) VALUES (?, ?, 1)
           ON DUPLICATE KEY UPDATE
             failures = LAST_INSERT_ID(IF(window_started_at <= ?, 1, failures + 1)),
             window_started_at = IF(window_started_at <= ?, VALUES(window_started_at), window_started_at)`,
          [address, at, windowStart, windowStart],
        )) as [{ affectedRows: number }];
        if (result.affectedRows === 1) return 1; // a new row
        const [rows] = (await trx.raw('SELECT LAST_INSERT_ID() AS n')) as [{ n: number }[]];
        return Number(rows[0]?.n ?? 1);
      }),

    removeAddressFailure: (address: string) =>
      db('signin_address_failures')
        .where({ address })
        .update({ failures: db.raw('IF(failures > 0, failures - 1, 0)') }),

    /** Records a challenge as used; false when it already was (a replay). */
    async spendChallenge(challengeHash: Buffer, expiresAt: Date): Promise<boolean> {
      const inserted = (await db.raw(
        'INSERT IGNORE INTO signin_captcha_spent (challenge_hash, expires_at) VALUES (?, ?)',
        [challengeHash, expiresAt],
      )) as [{ affectedRows: number }];
      return inserted[0].affectedRows === 1;
    },

    /**
     * Deletes what no longer matters: spent challenges past expiry, address windows that started
     * before `before`, and failure counts with no failure since `before` and no lock in force.
     */
    purge: async (at: Date, before: Date) => {
      await db('signin_captcha_spent').where('expires_at', '<=', at).delete();
      await db('signin_address_failures').where('window_started_at', '<=', before).delete();
      await db('signin_attempts')
        .where('last_failure_at', '<=', before)
        .andWhereRaw('(locked_until IS NULL OR locked_until <= ?)', [at])
        .delete();
    },
  };
}

export type SigninFailuresRepo = ReturnType<typeof signinFailuresRepo>;
