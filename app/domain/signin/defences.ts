import ipaddr from 'ipaddr.js';
import type { SigninFailuresRepo } from '../../storage/signinFailures.ts';
import { deriveKey, keyedHash } from './keys.ts';

export interface DefencePolicy {
  captchaAfter: number;
  lockAfter: number;
  lockMinutes: number;
  addressMaxFailures: number;
  addressWindowMinutes: number;
}

/** Where an email stands: consecutive failures and any lock, the same whether an account has it. */
export interface EmailStanding {
  emailHash: Buffer;
  failures: number;
  lockedUntil: Date | null;
}

/** The throttle's key for an address: IPv4 as is, IPv6 by its /64 (one subscriber's network). */
export function addressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip.slice(0, 45);
  const parsed = ipaddr.process(ip);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const bytes = parsed.toByteArray().slice(0, 8).concat([0, 0, 0, 0, 0, 0, 0, 0]);
  return `${ipaddr.fromByteArray(bytes).toString()}/64`;
}

/** Consecutive failures per email (CAPTCHA, then lock) and failures per source address. */
export function signinDefences(
  repo: SigninFailuresRepo,
  secretKey: Buffer,
  policy: DefencePolicy,
  now: () => Date,
) {
  const emailKey = deriveKey(secretKey, 'signin email hash v1');
  const windowMs = policy.addressWindowMinutes * 60_000;
  const emailHashOf = (email: string) => keyedHash(emailKey, email.trim().toLowerCase());
  const queues = new Map<string, Promise<unknown>>();

  async function standingOf(emailHash: Buffer): Promise<EmailStanding> {
    const row = await repo.attempt(emailHash);
    if (!row) return { emailHash, failures: 0, lockedUntil: null };
    // An expired lock leaves the count at the CAPTCHA threshold: the next try still needs one.
    if (row.locked_until && row.locked_until <= now()) {
      return {
        emailHash,
        failures: Math.min(row.failures, policy.captchaAfter),
        lockedUntil: null,
      };
    }
    return { emailHash, failures: row.failures, lockedUntil: row.locked_until };
  }

  return {
    policy,
    emailHashOf,

    /**
     * Runs one sign-in try for an email after any other in flight for it (in this process), so
     * parallel guesses cannot all read the count before any of them adds to it.
     */
    exclusive<T>(email: string, run: () => Promise<T>): Promise<T> {
      const key = emailHashOf(email).toString('hex');
      const result = (queues.get(key) ?? Promise.resolve()).then(run, run);
      const tail = result.catch(() => undefined);
      queues.set(key, tail);
      void tail.then(() => {
        if (queues.get(key) === tail) queues.delete(key);
      });
      return result;
    },

    /**
     * Counts a try against its address before it is made (atomically, so a burst cannot overrun
     * the limit); returns the seconds to wait when the address is over its limit, else 0.
     */
    async reserveAddressTry(ip: string): Promise<number> {
      const at = now();
      const key = addressKey(ip);
      const count = await repo.addAddressFailure(key, at, new Date(at.getTime() - windowMs));
      if (count <= policy.addressMaxFailures) return 0;
      const row = await repo.addressFailures(key);
      const left = (row?.window_started_at.getTime() ?? at.getTime()) + windowMs - at.getTime();
      return Math.max(1, Math.ceil(left / 1000));
    },

    /** Gives back a reserved try that did not fail (signed in, or only asked for a CAPTCHA). */
    releaseAddressTry: (ip: string) => repo.removeAddressFailure(addressKey(ip)),

    standing: (email: string) => standingOf(emailHashOf(email)),

    needsCaptcha: (standing: EmailStanding) => standing.failures >= policy.captchaAfter,
    isLocked: (standing: EmailStanding) =>
      standing.lockedUntil !== null && standing.lockedUntil > now(),

    /** Counts a failure (atomically); returns the new standing and whether this failure started a lock. */
    async failed(standing: EmailStanding, agentId: number | null) {
      const at = now();
      await repo.countFailure(standing.emailHash, agentId, at, policy.captchaAfter);
      const until = new Date(at.getTime() + policy.lockMinutes * 60_000);
      const locksNow = await repo.lockIfDue(standing.emailHash, policy.lockAfter, at, until);
      return { standing: await standingOf(standing.emailHash), locksNow };
    },

    succeeded: (standing: EmailStanding) =>
      standing.failures > 0 || standing.lockedUntil
        ? repo.clearAttempt(standing.emailHash)
        : Promise.resolve(0),

    /** An admin's unlock: clears the count and any lock; says whether the account was locked. */
    unlock: (agentId: number, email: string) =>
      repo.clearForAgent(agentId, emailHashOf(email), now()),

    lockedAgents: () => repo.lockedAgents(now()),
    lockedAgentIds: (agentIds: number[]) => repo.lockedAgentIds(agentIds, now()),
  };
}

export type SigninDefences = ReturnType<typeof signinDefences>;
