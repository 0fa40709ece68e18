import type { IpRuleListRow } from '../../storage/ipRules.ts';
import type { IpRuleView } from '../../shared/ipRules.ts';

export function presentIpRule(row: IpRuleListRow): IpRuleView {
  return {
    id: row.id,
    scope: row.scope,
    role: row.scope === 'role' ? row.role : null,
    agent:
      row.scope === 'agent' && row.agent_id !== null
        ? { id: row.agent_id, name: row.agent_name ?? '', email: row.agent_email ?? '' }
        : null,
    cidr: row.cidr,
    note: row.note,
    createdBy:
      row.created_by !== null ? { id: row.created_by, name: row.created_by_name ?? '' } : null,
    createdAt: row.created_at.toISOString(),
  };
}
