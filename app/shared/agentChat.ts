// Agent-to-agent chat (issue 14): the wire types of the /agent events in app/socket/agentChat.ts.
// The UI imports these types only.

// The same shape as protocol.ts's acks, declared here: protocol.ts extends its event maps with these.
type AckFn<T> = (
  reply:
    ({ ok: true } & T) | { ok: false; error: { id: string; message: string; retryAfter?: number } },
) => void;

export type AgentConversationKind = 'direct' | 'department';

export interface AgentConversationView {
  id: number;
  kind: AgentConversationKind;
  /** The colleague's name (direct) or the department's name (room). */
  title: string;
  /** The colleague (direct only). */
  agentId: number | null;
  /** The department (room only). */
  departmentId: number | null;
  lastSeq: number;
  /** Messages of others after what this agent marked read. */
  unread: number;
}

export interface AgentMessageView {
  conversationId: number;
  seq: number;
  clientId: string;
  authorAgentId: number;
  authorName: string;
  body: string;
  createdAt: string;
}

export interface ColleagueView {
  id: number;
  name: string;
}

export interface AgentConversationRef {
  conversationId: number;
}
export interface AgentChatSyncInput extends AgentConversationRef {
  afterSeq: number;
}
export interface AgentChatSendInput extends AgentConversationRef {
  clientId: string;
  body: string;
}
export interface AgentChatReadInput extends AgentConversationRef {
  seq: number;
}

/** Events an agent socket sends for agent chat; every one is acknowledged. */
export interface AgentChatClientEvents {
  'agentChat:list': (
    input: Record<string, never>,
    ack: AckFn<{ conversations: AgentConversationView[] }>,
  ) => void;
  'agentChat:colleagues': (
    input: Record<string, never>,
    ack: AckFn<{ colleagues: ColleagueView[] }>,
  ) => void;
  'agentChat:open': (
    input: { agentId: number },
    ack: AckFn<{ conversation: AgentConversationView }>,
  ) => void;
  'agentChat:sync': (
    input: AgentChatSyncInput,
    ack: AckFn<{ conversation: AgentConversationView; messages: AgentMessageView[] }>,
  ) => void;
  'agentChat:send': (input: AgentChatSendInput, ack: AckFn<{ message: AgentMessageView }>) => void;
  'agentChat:read': (input: AgentChatReadInput, ack: AckFn<Record<string, never>>) => void;
}

/** Events the server sends to agent sockets for agent chat. */
export interface AgentChatServerEvents {
  'agentChat:message': (message: AgentMessageView) => void;
  /** A colleague opened a direct conversation with this agent. */
  'agentChat:conversation': (conversation: AgentConversationView) => void;
}
