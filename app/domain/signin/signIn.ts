import { createHash, randomBytes } from 'node:crypto';
import type { AgentRow } from '../../storage/agents.ts';
import { agentsRepo } from '../../storage/agents.ts';
import type { Store } from '../../storage/store.ts';
import { totpRepo } from '../../storage/totp.ts';
import type { AgentSessions, Client, SessionRestriction } from '../agentSessions.ts';
import { errors } from '../errors.ts';
import type { TotpService } from '../totp/totp.ts';
import type { Captcha, CaptchaSolution } from './captcha.ts';
import type { EmailStanding, SigninDefences } from './defences.ts';
import type { TrustedDevice, TrustedDevices } from './devices.ts';
import type { SigninRecords } from './signinRecords.ts';
import { signinTries, type Allowance } from './tries.ts';

// Sign-in, one or two steps. Every failure is counted against the email typed (known or not) and
// against the source address — or, for a browser that signed in to this account before, against
// that browser's own allowance — and answered the same way for an account that exists and one
// that does not.

const PENDING_MINUTES = 5;
const PENDING_MAX_FAILURES = 5;

export interface PasswordStep {
  email: string;
  password: string;
  captcha?: CaptchaSolution | undefined;
}

export type SignInResult =
  | {
      kind: 'session';
      agent: AgentRow;
      sessionId: string;
      restriction: SessionRestriction;
      /** The device cookie's value for this browser (new, or the one it sent, refreshed). */
      deviceCookie: string;
    }
  | { kind: 'code'; agent: AgentRow; pendingId: string };

/** The IP allow-list hook (issue 4 part C): before the password without `agent`, after it with. */
export type AddressCheck = (attempt: {
  email: string;
  ip: string;
  userAgent: string;
  agent?: AgentRow;
}) => Promise<void>;

export interface SignInDeps {
  db: Store;
  sessions: AgentSessions;
  defences: SigninDefences;
  captcha: Captcha;
  totp: TotpService;
  devices: TrustedDevices;
  records: SigninRecords;
  checkAddress?: AddressCheck;
}

/** Seconds a `rate_limited` refusal asks the client to wait (for Retry-After). */
export const retryAfterOf = (error: unknown): number | undefined =>
  (error as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;

const pendingHashOf = (pendingId: string) => createHash('sha256').update(pendingId).digest();

export function signInFlow(deps: SignInDeps, now: () => Date = () => new Date()) {
  const { sessions, defences, devices, records } = deps;
  const { refuse } = records;
  const tries = signinTries({ defences, devices, records });
  const release = tries.release;
  const hasher = sessions.hasher;
  const agents = agentsRepo(deps.db);
  const pending = totpRepo(deps.db);

  /** Counts a wrong password or code; records a lock it starts (for unknown emails too: same cost). */
  async function countFailure(
    standing: EmailStanding,
    email: string,
    agent: AgentRow | undefined,
    client: Client,
  ) {
    return (await failed(standing, email, agent, client)).standing;
  }

  /** Counts a failure against the email and records the lock it starts, if it starts one. */
  async function failed(
    standing: EmailStanding,
    email: string,
    agent: AgentRow | undefined,
    client: Client,
    extra: Record<string, unknown> = {},
  ) {
    const after = await defences.failed(standing, agent?.id ?? null);
    if (after.locksNow) {
      await records.lockout(email, agent, client, {
        failures: after.standing.failures,
        until: after.standing.lockedUntil?.toISOString(),
        ...extra,
      });
    }
    return after;
  }

  async function finish(
    agent: AgentRow,
    client: Client,
    allowance: Allowance,
    device: TrustedDevice | null,
    details: Record<string, unknown>,
  ) {
    await release(allowance, client);
    const deviceCookie = await devices.signedIn(agent, device);
    const { sessionId } = await sessions.open(agent, client);
    const requirement = await deps.totp.requirement(agent);
    // Says when the browser's own allowance let it in (its address may have been over its limit).
    const trusted = allowance.device ? { trustedBrowser: true } : {};
    await records.record('agent.signin', 'success', agent, client, { ...details, ...trusted });
    const restriction: SessionRestriction =
      requirement.required && !requirement.enabled ? 'totp_enrollment' : null;
    return { kind: 'session' as const, agent, sessionId, restriction, deviceCookie };
  }

  async function passwordStep(
    email: string,
    input: PasswordStep,
    client: Client,
    allowance: Allowance,
    device: TrustedDevice | null,
  ): Promise<SignInResult> {
    const [standing, agent] = await Promise.all([defences.standing(email), agents.byEmail(email)]);
    const demand = tries.captchaDemand(standing, allowance);
    if (demand.required) {
      if (!input.captcha) {
        await release(allowance, client); // no password was tried
        await refuse(errors.captchaRequired(), 'captcha_required', email, agent, client);
      }
      const redeemed = await deps.captcha.redeem(input.captcha!, demand.maxNumber);
      if (redeemed === 'outdated') {
        // Solved, but for less work than failures since then call for: a fresh one is needed.
        await release(allowance, client);
        await refuse(errors.captchaRequired(), 'captcha_outdated', email, agent, client);
      }
      if (redeemed === 'invalid') {
        await refuse(errors.captchaInvalid(), 'captcha_invalid', email, agent, client);
      }
    }
    if (defences.isLocked(standing)) {
      await hasher.verify(undefined, input.password); // the cost of a password check, as always
      await refuse(errors.invalidCredentials(true), 'locked', email, agent, client);
    }

    const valid = await hasher.verify(
      agent?.active ? agent.password_hash : undefined,
      input.password,
    );
    if (!agent || !valid) {
      const after = await countFailure(standing, email, agent, client);
      const reason = !agent ? 'unknown_account' : agent.active ? 'bad_password' : 'inactive';
      const error = errors.invalidCredentials(defences.isLocked(after));
      await refuse(error, reason, email, agent, client, { failures: after.failures });
    }
    const signedIn = agent!;
    await deps.checkAddress?.({
      email,
      ip: client.ip,
      userAgent: client.userAgent,
      agent: signedIn,
    });
    if (hasher.needsRehash(signedIn.password_hash)) {
      await agents.updatePasswordHash(signedIn.id, await hasher.hash(input.password));
    }

    if (await deps.totp.enabled(signedIn.id)) {
      const pendingId = randomBytes(32).toString('base64url');
      await pending.insertPending({
        id_hash: pendingHashOf(pendingId),
        agent_id: signedIn.id,
        expires_at: new Date(now().getTime() + PENDING_MINUTES * 60_000),
        failures: 0,
        ip: client.ip.slice(0, 45),
        user_agent: client.userAgent.slice(0, 255),
      });
      await release(allowance, client);
      await records.record('agent.signin', 'success', signedIn, client, {
        step: 'password',
        next: 'code',
      });
      return { kind: 'code', agent: signedIn, pendingId };
    }
    // With TOTP on, the count resets only once the code is right too: codes cannot be guessed forever.
    await defences.succeeded(standing);
    return finish(signedIn, client, allowance, device, { step: 'password' });
  }

  async function codeStep(
    hash: Buffer,
    agent: AgentRow,
    code: string,
    client: Client,
    allowance: Allowance,
    device: TrustedDevice | null,
  ) {
    const row = await pending.pending(hash); // again: another try may have just used it
    const standing = await defences.standing(agent.email);
    if (!row || row.failures >= PENDING_MAX_FAILURES || defences.isLocked(standing)) {
      await pending.takePending(hash);
      await refuse(errors.totpStepExpired(), 'code_step_expired', agent.email, agent, client);
    }
    const factor = await deps.totp.verify(agent.id, code);
    if (!factor) {
      await pending.pendingFailed(hash);
      const after = await countFailure(standing, agent.email, agent, client);
      await refuse(errors.totpInvalid(), 'bad_code', agent.email, agent, client, {
        step: 'code',
        failures: after.failures,
      });
    }
    if (!(await pending.takePending(hash))) throw errors.totpStepExpired();
    await defences.succeeded(standing);
    if (factor === 'recovery') {
      await records.record('agent.recovery_code_used', 'success', agent, client, {
        left: await deps.totp.recoveryCodesLeft(agent.id),
      });
    }
    return finish(agent, client, allowance, device, { step: 'code', factor });
  }

  return {
    /**
     * A wrong password given outside sign-in (`via`: Change password) counts like a wrong sign-in
     * for the account, and a lock it starts is audited the same way. Says whether it locked now.
     */
    async wrongPasswordElsewhere(
      standing: EmailStanding,
      agent: AgentRow,
      client: Client,
      via: string,
    ): Promise<boolean> {
      return (await failed(standing, agent.email, agent, client, { via })).locksNow;
    },

    /**
     * The CAPTCHA the next try for this email from this browser needs, sized as that try will be
     * judged (the same for an email with an account and one without).
     */
    async captchaFor(email: string, client: Client, deviceCookie: string | undefined) {
      const typed = email.trim().toLowerCase();
      const [standing, agent, addressFailures] = await Promise.all([
        defences.standing(typed),
        agents.byEmail(typed),
        defences.addressFailures(client.ip),
      ]);
      const device = await devices.of(agent, deviceCookie);
      const trusted = device !== null && devices.hasAllowance(device);
      const { maxNumber } = defences.captchaDemand(standing, trusted ? null : addressFailures);
      return { challenge: await deps.captcha.challenge(maxNumber), maxNumber };
    },

    /** The password step: a full session, or a pending sign-in that waits for a TOTP code. */
    async password(
      input: PasswordStep,
      client: Client,
      deviceCookie?: string,
    ): Promise<SignInResult> {
      const email = input.email.trim().toLowerCase();
      const device = await devices.of(await agents.byEmail(email), deviceCookie);
      const allowance = await tries.reserve(email, device, client);
      await deps.checkAddress?.({ email, ip: client.ip, userAgent: client.userAgent });
      return defences.exclusive(email, () => passwordStep(email, input, client, allowance, device));
    },

    /** The code step: a TOTP code or an unused recovery code turns the pending sign-in into a session. */
    async code(
      pendingId: string | undefined,
      code: string,
      client: Client,
      deviceCookie?: string,
    ): Promise<SignInResult> {
      const hash = pendingId && pendingId.length <= 100 ? pendingHashOf(pendingId) : null;
      const row = hash ? await pending.pending(hash) : undefined;
      const agent = row ? await agents.byId(row.agent_id) : undefined;
      if (!hash || !row || !agent?.active || row.expires_at <= now()) {
        if (hash) await pending.takePending(hash);
        throw errors.totpStepExpired();
      }
      const device = await devices.of(agent, deviceCookie);
      const allowance = await tries.reserve(agent.email, device, client);
      return defences.exclusive(agent.email, () =>
        codeStep(hash, agent, code, client, allowance, device),
      );
    },
  };
}

export type SignInFlow = ReturnType<typeof signInFlow>;
