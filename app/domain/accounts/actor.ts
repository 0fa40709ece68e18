import type { Knex } from 'knex';
import type { Services } from '../../http/context.ts';
import type { AgentRow } from '../../storage/agents.ts';
import type { AuditEntry } from '../audit/auditLog.ts';
import type { Grants } from '../permissions/policy.ts';

/** Who is making an accounts change, and from where: what every audit entry needs. */
export interface Actor {
  agent: AgentRow;
  grants: Grants;
  ip: string;
  userAgent: string;
}

/** What the accounts commands use from the running services. */
export type AccountServices = Pick<
  Services,
  'db' | 'audit' | 'passwords' | 'disconnectAgent' | 'disconnectAgentSession'
>;

/** Records one successful (or refused) accounts change, inside the change's transaction when given. */
export function recordChange(
  services: AccountServices,
  actor: Pick<Actor, 'agent' | 'ip' | 'userAgent'>,
  entry: Pick<AuditEntry, 'action' | 'target' | 'details' | 'departmentId'> & {
    outcome?: AuditEntry['outcome'];
  },
  trx?: Knex.Transaction,
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
