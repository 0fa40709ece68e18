import type { AgentRow } from '../../storage/agents.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { errors } from '../errors.ts';
import type { IpRules } from './ipRules.ts';
import type { Verdict } from './policy.ts';

// Where the IP rules bite: at sign-in, on every agent HTTP request and socket handshake, and on
// live sockets. A session used from a disallowed address is ended — deleted and its sockets
// disconnected — not merely refused, because its cookie may have been carried elsewhere.

export interface EnforcementDeps {
  ipRules: IpRules;
  audit: AuditLog;
  sessions: { signOut(sessionHash: Buffer): Promise<unknown> };
  disconnectAgentSession(sessionHash: Buffer, reason: string): void;
}

/** A session in use: who, which session, and from where. */
export interface SessionUse {
  agent: AgentRow;
  sessionHash: Buffer;
  ip: string;
  userAgent: string;
  via: 'http' | 'socket';
}

export const IP_NOT_ALLOWED = 'ip_not_allowed';

/** Checks a session's address; ends the session and audits it when the address is not allowed. */
export async function endSessionIfDisallowed(
  deps: EnforcementDeps,
  use: SessionUse,
): Promise<Verdict> {
  const verdict = await deps.ipRules.check(use.agent, use.ip);
  if (verdict.allowed) return verdict;
  await deps.sessions.signOut(use.sessionHash);
  try {
    // Audited before the sockets learn of it: whoever sees the session end finds it in the log.
    await deps.audit.record({
      actor: { kind: 'agent', id: use.agent.id, label: use.agent.email },
      action: 'session.ended_ip',
      outcome: 'denied',
      target: { kind: 'agent', id: use.agent.id },
      ip: use.ip,
      userAgent: use.userAgent,
      details: { via: use.via, level: verdict.level },
    });
  } finally {
    deps.disconnectAgentSession(use.sessionHash, IP_NOT_ALLOWED);
  }
  return verdict;
}

/** The same, for an HTTP request: the request is refused with `ip_not_allowed`. */
export async function requireAllowedAddress(deps: EnforcementDeps, use: SessionUse): Promise<void> {
  const verdict = await endSessionIfDisallowed(deps, use);
  if (!verdict.allowed) throw errors.ipNotAllowed(use.ip);
}

/**
 * Sign-in: the global list is checked before the password (it does not depend on the account, so
 * it tells nothing about which accounts exist, and no password is tried from a refused address);
 * with `agent`, after the password is verified, every list that applies to them.
 */
export async function refuseSignInFrom(
  deps: Pick<EnforcementDeps, 'ipRules' | 'audit'>,
  attempt: { email: string; ip: string; userAgent: string; agent?: AgentRow },
): Promise<void> {
  const verdict = attempt.agent
    ? await deps.ipRules.check(attempt.agent, attempt.ip)
    : await deps.ipRules.checkGlobal(attempt.ip);
  if (verdict.allowed) return;
  await deps.audit.record({
    actor: { kind: 'agent', id: attempt.agent?.id ?? null, label: attempt.email },
    action: 'agent.signin', // the sign-in flow's action, so every sign-in outcome is found together
    outcome: 'denied',
    target: attempt.agent ? { kind: 'agent', id: attempt.agent.id } : undefined,
    ip: attempt.ip,
    userAgent: attempt.userAgent,
    details: { reason: IP_NOT_ALLOWED, level: verdict.level },
  });
  throw errors.ipNotAllowed(attempt.ip);
}

/** Re-checks live sessions (after a rule change): each session and address once, however many sockets. */
export async function sweepLiveSessions(
  deps: EnforcementDeps,
  live: Iterable<SessionUse>,
): Promise<number> {
  const checked = new Set<string>();
  const ended = new Set<string>();
  for (const use of live) {
    const session = use.sessionHash.toString('hex');
    const key = `${session} ${use.ip}`;
    if (ended.has(session) || checked.has(key)) continue;
    checked.add(key);
    if (!(await endSessionIfDisallowed(deps, use)).allowed) ended.add(session);
  }
  return ended.size;
}
