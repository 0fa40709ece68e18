// Agent availability (issue 14): what the console and the server say to each other about it.
// protocol.ts's agent event maps extend the two maps below (this file cannot import protocol.ts:
// that would be an import circle), so the acknowledgement shape is spelt out here, the same as Ack.

type AckFn<T> = (
  reply: ({ ok: true } & T) | { ok: false; error: { id: string; message: string } },
) => void;

export const AGENT_STATUSES = ['online', 'away', 'offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Why a status changed: each change is recorded with one of these. */
export const STATUS_CAUSES = [
  'chosen',
  'idle',
  'activity',
  'connect',
  'disconnect',
  'signout',
  'admin',
] as const;
export type StatusCause = (typeof STATUS_CAUSES)[number];

/** The console reports activity at most this often (keyboard, mouse, focus). */
export const ACTIVITY_REPORT_MS = 60_000;

export interface PresenceView {
  status: AgentStatus;
  cause: StatusCause;
  /** ISO time of the last change; null before the agent's first console visit. */
  since: string | null;
}

/** One agent as a colleague or a supervisor sees them: status and load. */
export interface AgentAvailability {
  agentId: number;
  name: string;
  status: AgentStatus;
  since: string | null;
  /** Chats this agent is handling now. */
  activeChats: number;
  departmentIds: number[];
}

/** A waiting chat routing gave up on (refused or unanswered as often as its rule allows). */
export interface FlaggedChatView {
  chatId: number;
  visitorName: string | null;
  /** ISO time the chat was started. */
  since: string;
  /** Offers of it refused or timed out. */
  declines: number;
}

export interface WaitingByDepartment {
  /** null: chats with no department. */
  departmentId: number | null;
  departmentName: string | null;
  waiting: number;
  /** ISO time the longest-waiting chat was started. */
  oldestSince: string | null;
  /** Of the waiting chats, those routing gave up on: they need a person to pick them. */
  flagged: FlaggedChatView[];
}

export interface BoardView {
  agents: AgentAvailability[];
  waiting: WaitingByDepartment[];
}

export interface PresenceServerEvents {
  /** This agent's own status changed (another tab, the idle sweep, an admin). */
  'presence:mine': (presence: PresenceView) => void;
  /** Something on the live board changed: fetch it again (`board:get`). */
  'board:changed': () => void;
  /** A colleague's status or load changed: fetch the list again (`colleagues:list`). */
  'colleagues:changed': () => void;
}

export interface PresenceClientEvents {
  'presence:get': (input: Record<string, never>, ack: AckFn<{ presence: PresenceView }>) => void;
  'presence:set': (input: { status: AgentStatus }, ack: AckFn<{ presence: PresenceView }>) => void;
  /** A supervisor sets a covered agent's status (cause "admin"). */
  'presence:setFor': (
    input: { agentId: number; status: AgentStatus },
    ack: AckFn<{ presence: PresenceView }>,
  ) => void;
  'presence:activity': (input: Record<string, never>, ack?: AckFn<Record<string, never>>) => void;
  'board:get': (input: Record<string, never>, ack: AckFn<{ board: BoardView }>) => void;
  'colleagues:list': (
    input: Record<string, never>,
    ack: AckFn<{ colleagues: AgentAvailability[] }>,
  ) => void;
}
