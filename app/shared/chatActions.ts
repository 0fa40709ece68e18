// The chat actions on the wire (issue 14): transfer, join, monitor, whisper. Types only.
import type { AckFn, ChatRef, ChatView, MessageView, SendInput } from './protocol.ts';

/** To one agent (who must be online and may accept the chat) or back to a department's queue. */
export type TransferTo = { agentId: number } | { departmentId: number };
export interface TransferInput {
  chatId: number;
  to: TransferTo;
  /** For the agents only: the receiving agent reads it in the chat; the visitor never does. */
  note?: string;
}

export interface TransferTargets {
  agents: { id: number; name: string }[];
  /** Online agents who may join the chat (chats.join), for an invitation. */
  joiners: { id: number; name: string }[];
  departments: { id: number; name: string; online: number }[];
}

export type ParticipantRole = 'owner' | 'joined' | 'monitor';

/** A chat an agent follows without owning it. */
export interface FollowedChat {
  chat: ChatView;
  role: 'joined' | 'monitor';
}

/** An active chat a monitor may watch or join (the "Active chats" list). */
export interface ActiveChatEntry {
  chat: ChatView;
  agentId: number | null;
  departmentId: number | null;
  /** This agent's part in it, if any. */
  role: 'joined' | 'monitor' | null;
}

/** What joining or monitoring answers with: the chat and its whole conversation, notes included. */
export interface FollowReply {
  chat: ChatView;
  role: 'joined' | 'monitor';
  messages: MessageView[];
}

/** An invitation to join a chat, sent to the invited agent's consoles as `chat:invited`. */
export interface Invitation {
  chat: ChatView;
  from: string;
}

export interface InviteInput {
  chatId: number;
  agentId: number;
}

/** Events an agent socket sends for the chat actions; every one is acknowledged. */
export interface ChatActionClientEvents {
  'chat:transfer': (input: TransferInput, ack: AckFn<Record<string, never>>) => void;
  'chat:transferTargets': (input: ChatRef, ack: AckFn<TransferTargets>) => void;
  'chat:invite': (input: InviteInput, ack: AckFn<Record<string, never>>) => void;
  'chat:join': (input: ChatRef, ack: AckFn<FollowReply>) => void;
  'chat:leave': (input: ChatRef, ack: AckFn<Record<string, never>>) => void;
  'chat:monitor': (input: ChatRef, ack: AckFn<FollowReply>) => void;
  'chat:unmonitor': (input: ChatRef, ack: AckFn<Record<string, never>>) => void;
  'message:whisper': (input: SendInput, ack: AckFn<{ message: MessageView }>) => void;
  'chat:following': (input: Record<string, never>, ack: AckFn<{ chats: FollowedChat[] }>) => void;
  'chats:active': (input: Record<string, never>, ack: AckFn<{ chats: ActiveChatEntry[] }>) => void;
}
