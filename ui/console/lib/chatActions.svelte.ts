import type { Socket } from 'socket.io-client';
import type {
  ActiveChatEntry,
  ChatActionClientEvents,
  Invitation,
  TransferTargets,
  TransferTo,
} from '../../../app/shared/chatActions.ts';
import type { ChatView } from '../../../app/shared/protocol.ts';
import { newClientId } from '../../../app/shared/clientIds.ts';
import { request, type EventInput, type EventReply } from '../../shared/acks.ts';
import type { ConsoleChat } from './consoleChat.svelte.ts';

const NO_ANSWER = 'The server did not answer in time. Please try again.';

/** What the chat actions need of the console's store. */
export interface ChatActionsHost {
  socket: Socket;
  find(chatId: number): ConsoleChat | undefined;
  adopt(view: ChatView): ConsoleChat;
  activate(chatId: number): void;
  close(chatId: number): void;
}

/**
 * Transfer, join, monitor and whisper from the console (issue 14). A whisper never goes through
 * the outbox: a resend after a reconnect goes out as `message:send`, which the visitor would see.
 */
export class ChatActions {
  /** Chats in progress this agent may monitor or join; null when they may do neither. */
  active: ActiveChatEntry[] | null = $state.raw(null);
  /** Colleagues' invitations to join their chats, newest last. */
  invitations: Invitation[] = $state.raw([]);
  notice: string | null = $state(null);
  readonly #host: ChatActionsHost;

  constructor(host: ChatActionsHost) {
    this.#host = host;
    host.socket.on('chat:invited', (invitation: Invitation) => {
      const others = this.invitations.filter((i) => i.chat.id !== invitation.chat.id);
      this.invitations = [...others, invitation];
    });
  }

  async invite(chatId: number, agentId: number): Promise<string | null> {
    try {
      const reply = await this.#request('chat:invite', { chatId, agentId });
      return reply.ok ? null : reply.error.message;
    } catch {
      return NO_ANSWER;
    }
  }

  #request<E extends keyof ChatActionClientEvents>(
    event: E,
    input: EventInput<ChatActionClientEvents[E]>,
  ): Promise<EventReply<ChatActionClientEvents[E]>> {
    return request<ChatActionClientEvents, E>(this.#host.socket, event, input);
  }

  /** After every (re)connect: the chats this agent joined or monitors, and the active list. */
  async catchUp(): Promise<void> {
    try {
      const following = await this.#request('chat:following', {});
      if (following.ok)
        for (const { chat, role } of following.chats) this.#host.adopt(chat).role = role;
    } catch {
      this.notice = NO_ANSWER;
    }
    await this.refreshActive();
  }

  async refreshActive(): Promise<void> {
    try {
      const reply = await this.#request('chats:active', {});
      this.active = reply.ok ? reply.chats : null;
    } catch {
      this.notice = NO_ANSWER;
    }
  }

  async targets(chatId: number): Promise<TransferTargets | string> {
    try {
      const reply = await this.#request('chat:transferTargets', { chatId });
      return reply.ok
        ? { agents: reply.agents, joiners: reply.joiners, departments: reply.departments }
        : reply.error.message;
    } catch {
      return NO_ANSWER;
    }
  }

  /** Hands the chat over; it leaves this console when the server confirms. Returns an error to show. */
  async transfer(chatId: number, to: TransferTo, note: string): Promise<string | null> {
    try {
      const reply = await this.#request('chat:transfer', { chatId, to, note });
      if (!reply.ok) return reply.error.message;
      this.#host.close(chatId);
      return null;
    } catch {
      return NO_ANSWER;
    }
  }

  async follow(chatId: number, role: 'joined' | 'monitor'): Promise<void> {
    this.invitations = this.invitations.filter((i) => i.chat.id !== chatId);
    try {
      const reply = await this.#request(role === 'joined' ? 'chat:join' : 'chat:monitor', {
        chatId,
      });
      if (!reply.ok) {
        this.notice = reply.error.message;
        return;
      }
      const chat = this.#host.adopt(reply.chat);
      chat.role = reply.role;
      chat.conversation.receive(reply.messages);
      this.#host.activate(chat.id);
    } catch {
      this.notice = NO_ANSWER;
    }
    await this.refreshActive();
  }

  /** Leaves a joined chat or stops monitoring it; it leaves this console. */
  async unfollow(chat: ConsoleChat): Promise<void> {
    try {
      const event = chat.role === 'joined' ? 'chat:leave' : 'chat:unmonitor';
      const reply = await this.#request(event, { chatId: chat.id });
      if (!reply.ok) chat.error = reply.error.message;
      else this.#host.close(chat.id);
    } catch {
      chat.error = NO_ANSWER;
    }
    await this.refreshActive();
  }

  /** A note only agents see; shown once the server stored it. */
  async whisper(chat: ConsoleChat, body: string): Promise<void> {
    try {
      const reply = await this.#request('message:whisper', {
        chatId: chat.id,
        clientId: newClientId(),
        body,
      });
      if (reply.ok) chat.conversation.receive([reply.message]);
      chat.error = reply.ok ? null : reply.error.message;
    } catch {
      chat.error = NO_ANSWER;
    }
  }
}
