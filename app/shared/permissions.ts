// Every permission Parley knows: the seeds' list (Comm100 "Application Security", LiveChat "Usage").
// Routes and socket events name one of these, or say why they need none.

export const PERMISSIONS = {
  'chats.accept': 'Accept chats from the queue',
  'chats.refuse': 'Refuse chats',
  'chats.join': 'Join chats another agent is handling',
  'chats.transfer': 'Transfer chats to another agent or department',
  'chats.agent_chat': 'Chat with other agents',
  'chats.monitor': 'Monitor chats of other agents',
  'chats.secure_form': 'Request card details through the secure form',
  'visitors.invite': 'Invite visitors to chat',
  'transcripts.view_department': "View own departments' transcripts and offline messages",
  'transcripts.view_all': 'View all transcripts and offline messages',
  'transcripts.delete': 'Delete transcripts',
  'reports.view': 'View reports',
  'campaigns.manage': 'Manage campaigns',
  'canned_messages.manage': 'Manage canned messages',
  'ban_list.manage': 'Manage the ban list',
  'routing_rules.manage': 'Manage routing rules',
  'security.manage': 'Manage security settings (password policy, IP rules, sessions)',
  'agents.manage': 'Manage agents, roles and permissions',
  'departments.manage': 'Manage departments and agent groups',
  'visitor_segments.manage': 'Manage visitor segments and custom variables',
  'audit.view': 'View and export the audit log',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

/**
 * What a route or socket event requires (a list: any one of those permissions). `public`: anyone (health, visitor token, sign-in);
 * `visitor`: a valid visitor token, and only the visitor's own chats; `signedIn`: any agent
 * session (their own profile, sign-out); otherwise a permission from the catalogue.
 */
export type Requirement = 'public' | 'visitor' | 'signedIn' | Permission | readonly Permission[];
