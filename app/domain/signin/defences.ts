import ipaddr from 'ipaddr.js';
import type { SigninFailuresRepo } from '../../storage/signinFailures.ts';
import { deriveKey, keyedHash } from './keys.ts';

export interface DefencePolicy {
  captchaAfter: number;
  lockAfter: number;
  lockMinutes: number;
  addressMaxFailures: number;
  addressWindowMinutes: number;
  /** Failures from one address (in its window) after which every try from it needs a CAPTCHA. */
  addressCaptchaAfter: number;
  /** The CAPTCHA's work: its largest counter at first, and the most it can grow to. */
  captchaStart: number;
  captchaCap: number;
}

/** What the next try needs: a CAPTCHA or not, and how much work (largest counter) it must cost. */
export interface CaptchaDemand {
  required: boolean;
  maxNumber: number;
}

/**
 * The CAPTCHA's work doubles with each failure past its threshold — the email's consecutive
 * failures, or the address's failures in its window when the address counts (`null`: a trusted
 * browser, which the address's failures do not concern) — from the start up to the cap.
 */
export function captchaDemand(
  policy: DefencePolicy,
  emailFailures: number,
  addressFailures: number | null,
): CaptchaDemand {
  const over = Math.max(
    emailFailures - policy.captchaAfter,
    addressFailures === null ? -1 : addressFailures - policy.addressCaptchaAfter,
  );
  if (over < 0) return { required: false, maxNumber: policy.captchaStart };
  const grown = policy.captchaStart * 2 ** Math.min(over, 40);
  return { required: true, maxNumber: Math.min(policy.captchaCap, grown) };
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
     * the limit). `retryAfterSeconds` is the wait when the address is over its limit, else 0;
     * `failuresBefore` what the address had counted before this try.
     */
    async reserveAddressTry(ip: string) {
      const at = now();
      const key = addressKey(ip);
      const count = await repo.addAddressFailure(key, at, new Date(at.getTime() - windowMs));
      if (count <= policy.addressMaxFailures) {
        return { retryAfterSeconds: 0, failuresBefore: count - 1 };
      }
      const row = await repo.addressFailures(key);
      const left = (row?.window_started_at.getTime() ?? at.getTime()) + windowMs - at.getTime();
      return { retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)), failuresBefore: count - 1 };
    },

    /** The address's failures in its current window (read only: for sizing a CAPTCHA). */
    async addressFailures(ip: string): Promise<number> {
      const row = await repo.addressFailures(addressKey(ip));
      if (!row || row.window_started_at.getTime() + windowMs <= now().getTime()) return 0;
      return Number(row.failures);
    },

    /** Whether the email's own failures call for a CAPTCHA (the address may call for one too). */
    needsCaptcha: (standing: EmailStanding) => standing.failures >= policy.captchaAfter,
    captchaDemand: (standing: EmailStanding, addressFailures: number | null) =>
      captchaDemand(policy, standing.failures, addressFailures),

    /** Gives back a reserved try that did not fail (signed in, or only asked for a CAPTCHA). */
    releaseAddressTry: (ip: string) => repo.removeAddressFailure(addressKey(ip)),

    standing: (email: string) => standingOf(emailHashOf(email)),

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
