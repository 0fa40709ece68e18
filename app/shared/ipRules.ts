// The wire shapes of the IP-rules API; the console imports these types only.

export type IpRuleScopeView = 'global' | 'role' | 'agent';

export interface IpRuleView {
  id: number;
  scope: IpRuleScopeView;
  /** The role the rule is for (scope `role`). */
  role: string | null;
  /** The agent the rule is for (scope `agent`). */
  agent: { id: number; name: string; email: string } | null;
  /** Canonical: the network address and prefix length, e.g. `203.0.113.0/24`, `2001:db8::/32`. */
  cidr: string;
  note: string;
  createdBy: { id: number; name: string } | null;
  createdAt: string;
}

export interface IpRulesListResponse {
  rules: IpRuleView[];
  /** The address this request came from, as Parley sees it (after trusted proxies). */
  yourAddress: string;
  /** What the scope picker offers. */
  roles: string[];
  agents: { id: number; name: string; email: string }[];
}

export interface IpRuleInput {
  scope: IpRuleScopeView;
  role?: string;
  agentId?: number;
  cidr: string;
  note?: string;
  confirmLockout?: boolean;
}
