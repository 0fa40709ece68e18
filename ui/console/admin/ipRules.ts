import type { IpRuleInput, IpRulesListResponse, IpRuleView } from '../../../app/shared/ipRules.ts';
import { requestJson } from '../../shared/http.ts';

// Admin › IP restrictions: the console's calls to /api/ip-rules.

export function listIpRules(): Promise<IpRulesListResponse> {
  return requestJson('/api/ip-rules', { method: 'GET', credentials: 'same-origin' });
}

export async function addIpRule(input: IpRuleInput): Promise<IpRuleView> {
  const reply = await requestJson<{ rule: IpRuleView }>('/api/ip-rules', {
    method: 'POST',
    credentials: 'same-origin',
    body: input,
  });
  return reply.rule;
}

export async function removeIpRule(id: number, confirmLockout: boolean): Promise<void> {
  const query = confirmLockout ? '?confirmLockout=true' : '';
  await requestJson(`/api/ip-rules/${id}${query}`, {
    method: 'DELETE',
    credentials: 'same-origin',
  });
}
