import type { ChatView, MessageView, QueueEntry } from '../../shared/protocol.ts';
import type { AgentRow } from '../../storage/agents.ts';
import type { ChatRow } from '../../storage/chats.ts';
import type { LockedChat } from '../../storage/messageWriter.ts';
import { errors } from '../errors.ts';
import type { Grants } from '../permissions/policy.ts';

// Who takes part in a chat, what each may do in it, and what the chat domain tells the transport
// to deliver (it knows nothing of sockets). Routing and transfers will add their rules here.

/** What the chat domain tells the transport to deliver; it knows nothing of sockets. */
export interface ChatEvents {
  messageAdded(chat: Participants, message: MessageView): void;
  chatChanged(chat: ChatRow, view: ChatView): void;
  /** From now on this agent's consoles receive the chat live (owner, joined or monitoring). */
  followChat(chatId: number, agentId: number): void;
  /** This agent's consoles stop receiving the chat (left, stopped monitoring, transferred it). */
  unfollowChat(chatId: number, agentId: number): void;
  /** One department's waiting chats changed (null: those with no department). */
  queueChanged(
    queue: QueueEntry[],
    views: { chat: ChatRow; view: ChatView }[],
    departmentId: number | null,
  ): void;
}

/** Enough of a chat to deliver to the people in it. */
export type Participants = Pick<ChatRow, 'id' | 'visitor_id' | 'agent_id'>;

/** A chat as a write is checked against it: the participants are there when someone not its owner writes. */
export type Writable = Omit<LockedChat, 'participants'> & Partial<Pick<LockedChat, 'participants'>>;

export const takesPart = (chat: Writable, agentId: number, roles: readonly string[]) =>
  chat.participants?.some((p) => p.agentId === agentId && roles.includes(p.role)) ?? false;

export type Participant =
  | { kind: 'visitor'; visitorId: string }
  | {
      kind: 'agent';
      agent: AgentRow;
      grants: Grants;
      /** Where the agent acts from, for the audit log. */
      source?: { ip: string; userAgent: string };
    };

/** Whether an entry of the queue is one these grants may accept (its department is covered). */
export function mayAcceptFrom(grants: Grants, entry: QueueEntry): boolean {
  return grants.covers('chats.accept', { departmentId: entry.departmentId, agentId: null });
}

/**
 * Who may add a message to a chat: its visitor while it is open, its agent while it is active,
 * and an agent who joined it (chats.join) while it is active.
 */
export function mayWrite(who: Participant) {
  return (chat: Writable | undefined): Error | null => {
    if (!chat) return errors.chatNotFound();
    if (who.kind === 'visitor' && chat.visitor_id !== who.visitorId) return errors.chatNotFound();
    if (
      who.kind === 'agent' &&
      chat.status === 'active' &&
      takesPart(chat, who.agent.id, ['joined'])
    )
      return null;
    if (who.kind === 'agent' && chat.agent_id !== who.agent.id) {
      return chat.status === 'queued'
        ? errors.forbidden('write in a chat you have not accepted')
        : errors.chatNotFound();
    }
    return chat.status === 'ended' ? errors.chatEnded() : null;
  };
}
