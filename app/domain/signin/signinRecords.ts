import type { AgentRow } from '../../storage/agents.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Client } from '../agentSessions.ts';
import type { ParleyError } from '../errors.ts';
import type { CountedRefusals } from './refusals.ts';

// What the sign-in flow writes to the audit log. A try on an existing account that reached the
// account's own defences (CAPTCHA, lock, password, code) is one entry each: useful, and bounded by
// the lock. A try naming no account, and any refusal of the per-address throttle (which comes
// before the account matters and has no bound), is counted per address and window instead
// (refusals.ts): the email typed never reaches the log. Both paths cost about the same.

export function signinRecords(deps: {
  audit: AuditLog;
  refusals: CountedRefusals;
  emailHashOf: (email: string) => Buffer;
}) {
  const { audit, refusals } = deps;

  const record = (
    action: string,
    outcome: 'success' | 'failure',
    agent: AgentRow,
    client: Client,
    details: Record<string, unknown>,
  ) =>
    audit.record({
      actor: { kind: 'agent', id: agent.id, label: agent.email },
      action,
      outcome,
      target: { kind: 'agent', id: agent.id },
      ip: client.ip,
      userAgent: client.userAgent,
      details,
    });

  const count = (email: string, client: Client, reason: string | null) =>
    refusals.count({
      ip: client.ip,
      userAgent: client.userAgent,
      emailHash: deps.emailHashOf(email),
      reason,
    });

  /** Records (or counts) a refused try, then throws the answer. */
  async function refuse(
    error: ParleyError,
    reason: string,
    email: string,
    agent: AgentRow | undefined,
    client: Client,
    extra: Record<string, unknown> = {},
  ): Promise<never> {
    if (agent && reason !== 'rate_limited') {
      await record('agent.signin', 'failure', agent, client, { reason, ...extra });
    } else {
      await count(email, client, reason);
    }
    throw error;
  }

  /** Records a lock that a failure started (for an unknown email: counted, at the same cost). */
  const lockout = (
    email: string,
    agent: AgentRow | undefined,
    client: Client,
    details: Record<string, unknown>,
  ) =>
    agent ? record('agent.lockout', 'success', agent, client, details) : count(email, client, null);

  return { record, refuse, lockout };
}

export type SigninRecords = ReturnType<typeof signinRecords>;
