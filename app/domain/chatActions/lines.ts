import { newClientId } from '../../shared/clientIds.ts';
import { chatsRepo } from '../../storage/chats.ts';
import type { Store } from '../../storage/store.ts';
import { presentMessage } from '../presenters.ts';
import type { AppendRequest, MessageWriter } from '../../storage/messageWriter.ts';
import type { ChatService } from '../chats/chats.ts';
import type { ChatEvents } from '../chats/participants.ts';
import { errors } from '../errors.ts';
import type { Agent } from './actionAudit.ts';

/** What the chat actions write into a chat and tell the transport, through the one message writer. */
export function chatLines(
  db: Store,
  chats: ChatService,
  writer: MessageWriter,
  events: ChatEvents,
  route: () => Promise<void> = () => Promise.resolve(),
) {
  const notEnded: AppendRequest['check'] = (chat) =>
    !chat ? errors.chatNotFound() : chat.status === 'ended' ? errors.chatEnded() : null;

  /** Appends through the writer; a resend (same client id) is answered, not delivered again. */
  async function append(request: AppendRequest) {
    const { row, created, chat } = await writer.append(request);
    const message = presentMessage(row);
    if (created) events.messageAdded(chat, message);
    return { message, created };
  }

  return {
    events,
    authorize: (who: Agent, chatId: number) => chats.authorize(who, chatId),
    /** A chat went back to a department's queue: that queue changes, and routing may offer it. */
    async requeued(departmentId: number) {
      await chats.publishQueue(departmentId);
      await route();
    },
    append,
    /** A line only agents see, written by this agent (a transfer note). */
    internal: (who: Agent, chatId: number, body: string) =>
      append({
        chatId,
        clientId: `note-${newClientId()}`,
        author: 'agent',
        authorAgentId: who.agent.id,
        authorName: who.agent.name,
        body,
        internal: true,
        check: notEnded,
      }),
    /** A system line everyone in the chat sees, the visitor included. */
    system: (chatId: number, body: string) =>
      append({
        chatId,
        clientId: `system-${newClientId()}`,
        author: 'system',
        authorAgentId: null,
        authorName: null,
        body,
        check: notEnded,
      }),
    /** Tells everyone in the chat how it is now (its agent, its status). */
    async changed(chatId: number) {
      const chat = await chatsRepo(db).byId(chatId);
      if (!chat) return;
      events.chatChanged(chat, await chats.view(chat));
    },
  };
}

export type ChatLines = ReturnType<typeof chatLines>;
