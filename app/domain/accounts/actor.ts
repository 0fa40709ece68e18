import type { AgentRow } from '../../storage/agents.ts';
import type { Store } from '../../storage/store.ts';
import type { AuditEntry, AuditLog } from '../audit/auditLog.ts';
import type { PasswordHasher } from '../passwords.ts';
import type { Grants } from '../permissions/policy.ts';

/** Who is making an accounts change, and from where: what every audit entry needs. */
export interface Actor {
  agent: AgentRow;
  grants: Grants;
  ip: string;
  userAgent: string;
}

/** What the accounts commands use from the running services. */
export interface AccountServices {
  db: Store;
  audit: AuditLog;
  passwords: PasswordHasher;
  /** Ends (or, when `ended` is false, refreshes) every socket of one agent. */
  disconnectAgent(agentId: number, reason: string, ended: boolean): void;
  disconnectAgentSession(sessionHash: Buffer, reason: string): void;
}

/** Records one successful (or refused) accounts change, inside the change's transaction when given. */
export function recordChange(
  services: AccountServices,
  actor: Pick<Actor, 'agent' | 'ip' | 'userAgent'>,
  entry: Pick<AuditEntry, 'action' | 'target' | 'details' | 'departmentId'> & {
    outcome?: AuditEntry['outcome'];
  },
  trx?: Store,
) {
  return services.audit.record(
    {
      actor: { kind: 'agent', id: actor.agent.id, label: actor.agent.email },
      outcome: 'success',
      ip: actor.ip,
      userAgent: actor.userAgent,
      ...entry,
    },
    trx,
  );
}

/** The `{ field: { from, to } }` of what differs, for the audit entry. */
export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(after)) {
    if (to === undefined) continue;
    const from = before[key];
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
  }
  return changes;
}
