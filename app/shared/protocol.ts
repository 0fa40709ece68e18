// The wire contract between the server and the UI (console, widget): types only, nothing runs here.
import type { AgentChatClientEvents, AgentChatServerEvents } from './agentChat.ts';
import type { RoutingClientEvents, RoutingServerEvents } from './routing.ts';
export type * from './operations.ts';
import type { PresenceClientEvents, PresenceServerEvents } from './presence.ts';
export type ChatStatus = 'queued' | 'active' | 'ended';
export type AuthorKind = 'visitor' | 'agent' | 'system';

export interface MessageView {
  chatId: number;
  seq: number;
  clientId: string;
  author: AuthorKind;
  authorName: string | null;
  body: string;
  createdAt: string;
  /** Set when the message shares a file (absent once the file was deleted by retention). */
  file?: FileView;
  internal?: true; // a whisper or transfer note: only agents ever receive it (issue 14)
}

/** A file shared in a chat. Only files clamd answered OK for are stored, so `scan` is always clean. */
export interface FileView {
  id: number;
  name: string;
  size: number;
  /** The type decided from the content (MIME), e.g. image/png. */
  type: string;
  scan: 'clean';
}

/** POST /api/chats/:chatId/files and /api/visitor/chats/:chatId/files answer with the message. */
export interface FileUploadResponse {
  message: MessageView;
}

export interface ChatView {
  id: number;
  status: ChatStatus;
  visitorName: string | null;
  visitorEmail: string | null;
  question: string | null;
  agentName: string | null;
  departmentName: string | null; // as visitors see it, on both sides; null: no department
  queuePosition: number | null;
  estimatedWaitSeconds?: number | null; // while queued, at the recent rate of taken chats (issue 14)
  lastSeq: number;
  createdAt: string;
  acceptedAt: string | null;
  endedAt: string | null;
}

export interface QueueEntry {
  chatId: number;
  visitorName: string | null;
  question: string | null;
  waitingSince: string;
  position: number;
  departmentId: number | null;
  routing?: 'offered' | 'flagged'; // flagged: refused/unanswered too often, pick by hand
  departmentName: string | null; // the department's own name: the queue goes to agents only
}

export interface ErrorBody {
  id: string;
  message: string;
  /** Seconds to wait before trying again (`too_many_requests`, issue 12; `standby`, issue 15). */
  retryAfter?: number;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
export type AckFn<T> = (reply: Ack<T>) => void;

export interface StartChatInput {
  name?: string;
  email?: string;
  question?: string;
  departmentId?: number; // one of the offered departments (issue 14)
}
export interface ChatRef {
  chatId: number;
}
export interface SyncInput {
  chatId: number;
  afterSeq: number;
}
export interface SendInput {
  chatId: number;
  clientId: string;
  body: string;
}
export interface TypingInput {
  chatId: number;
  typing: boolean;
}

export interface TypingEvent {
  chatId: number;
  author: AuthorKind;
  typing: boolean;
}

// The secure form (issue 6): keys and ciphertext as base64url; the server relays, it cannot decrypt.
export interface SecureFormRequest {
  chatId: number;
  /** The agent console's ephemeral ECDH P-256 public key for this chat (raw, base64url). */
  publicKey: string;
}
export interface SecureFormOffer {
  chatId: number;
  formId: string;
  publicKey: string;
}
export interface SecureFormSubmission {
  chatId: number;
  formId: string;
  /** The widget's ephemeral ECDH P-256 public key (raw, base64url). */
  publicKey: string;
  /** AES-GCM nonce and ciphertext (base64url). */
  iv: string;
  ciphertext: string;
}

/** Events the server sends to visitor sockets (namespace /visitor). */
export interface VisitorServerEvents {
  'message:new': (message: MessageView) => void;
  'chat:updated': (chat: ChatView) => void;
  typing: (event: TypingEvent) => void;
  'secureForm:requested': (offer: SecureFormOffer) => void;
}

/** Events a visitor socket sends; every one is acknowledged. */
export interface VisitorClientEvents {
  'chat:start': (input: StartChatInput, ack: AckFn<{ chat: ChatView }>) => void;
  'chat:list': (input: Record<string, never>, ack: AckFn<{ chats: ChatView[] }>) => void;
  'chat:sync': (input: SyncInput, ack: AckFn<{ chat: ChatView; messages: MessageView[] }>) => void;
  'message:send': (input: SendInput, ack: AckFn<{ message: MessageView }>) => void;
  typing: (input: TypingInput, ack?: AckFn<Record<string, never>>) => void;
  'chat:end': (input: ChatRef, ack: AckFn<{ chat: ChatView }>) => void;
  'secureForm:pending': (input: ChatRef, ack: AckFn<{ forms: SecureFormOffer[] }>) => void;
  'secureForm:submit': (input: SecureFormSubmission, ack: AckFn<Record<string, never>>) => void;
}

/** Events the server sends to agent sockets (namespace /agent). */
export interface AgentServerEvents
  extends AgentChatServerEvents, RoutingServerEvents, PresenceServerEvents {
  'queue:updated': (queue: QueueEntry[], slice?: { departmentId: number | null }) => void;
  'message:new': (message: MessageView) => void;
  'chat:updated': (chat: ChatView) => void;
  typing: (event: TypingEvent) => void;
  'session:ended': (reason: { id: string; message: string }) => void;
  'secureForm:submitted': (submission: SecureFormSubmission) => void;
}

/** Events an agent socket sends; every one is acknowledged. */
export interface AgentClientEvents
  extends AgentChatClientEvents, RoutingClientEvents, PresenceClientEvents {
  'queue:list': (input: Record<string, never>, ack: AckFn<{ queue: QueueEntry[] }>) => void;
  'chat:mine': (input: Record<string, never>, ack: AckFn<{ chats: ChatView[] }>) => void;
  'chat:accept': (input: ChatRef, ack: AckFn<{ chat: ChatView }>) => void;
  'chat:sync': (input: SyncInput, ack: AckFn<{ chat: ChatView; messages: MessageView[] }>) => void;
  'message:send': (input: SendInput, ack: AckFn<{ message: MessageView }>) => void;
  typing: (input: TypingInput, ack?: AckFn<Record<string, never>>) => void;
  'chat:end': (input: ChatRef, ack: AckFn<{ chat: ChatView }>) => void;
  'secureForm:request': (input: SecureFormRequest, ack: AckFn<{ formId: string }>) => void;
}

// HTTP API payloads

export interface AgentView {
  id: number;
  email: string;
  name: string;
  role: 'admin' | 'agent';
}

export interface SignInRequest {
  email: string;
  password: string;
}
export interface SignInResponse {
  agent: AgentView;
}

export interface VisitorTokenRequest {
  token?: string;
}
export interface VisitorTokenResponse {
  token: string;
  visitorId: string;
}

export interface TranscriptSummary {
  chatId: number;
  visitorName: string | null;
  visitorEmail: string | null;
  question: string | null;
  agentName: string | null;
  messageCount: number;
  createdAt: string;
  endedAt: string | null;
}
export interface TranscriptListResponse {
  transcripts: TranscriptSummary[];
  nextBefore: number | null;
}
export interface TranscriptResponse {
  chat: ChatView;
  messages: MessageView[];
}

/** A legal hold (issue 7): a held chat or visitor is exempt from data retention. */
export type LegalHoldKind = 'chat' | 'visitor';
export interface LegalHoldView {
  kind: LegalHoldKind;
  /** The chat's number or the visitor's UUID, as a string for both. */
  id: string;
  departmentId: number | null;
  /** The name the visitor gave (in the chat, or on their visitor record). */
  visitorName: string | null;
  reason: string | null;
  at: string | null;
  /** The agent who placed the hold; `byName` is null once that agent is deleted. */
  by: number | null;
  byName: string | null;
}
/** PUT /api/chats/:id/legal-hold and /api/visitors/:id/legal-hold. */
export interface LegalHoldInput {
  hold: boolean;
  reason: string;
}
export interface LegalHoldListResponse {
  holds: LegalHoldView[];
}
/**
 * GET /api/chats/:id/legal-hold. `visitorHold` is the hold on the chat's visitor (which keeps the
 * chat too); it is null when there is none or the agent's grant does not cover every department.
 */
export interface ChatLegalHoldResponse {
  hold: LegalHoldView | null;
  visitorHold: LegalHoldView | null;
}

export interface ErrorResponse {
  error: ErrorBody;
  requestId: string;
}

/** The last restore drill (the drill writes it to drill-status.json). */
