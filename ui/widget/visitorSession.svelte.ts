import { io, type Socket } from 'socket.io-client';
import type {
  ChatView,
  MessageView,
  StartChatInput,
  VisitorClientEvents,
  VisitorServerEvents,
} from '../../app/shared/protocol.ts';
import { request, type EventInput, type EventReply } from '../shared/acks.ts';
import { Conversation, type ChatChannel } from '../shared/conversation.svelte.ts';
import { ackWithRetryAfter, retryAfterOf } from '../shared/retryAfter.ts';
import { standbyRetryOf } from '../shared/standby.ts';
import { TypingSignal } from '../shared/typingSignal.ts';
import { VisitorSecureForm } from '../shared/secureFormVisitor.svelte.ts';
import { maskCardNumbers } from '../../app/shared/cardNumbers.ts';
import { reconnectAfterRefusal, waitForConnect } from './connect.ts';
import { readItem, writeItem } from './storage.ts';
import { issueToken, readSavedToken } from './token.ts';

type VisitorSocket = Socket<VisitorServerEvents, VisitorClientEvents>;
export type WidgetConnection = 'offline' | 'connecting' | 'connected' | 'reconnecting';

/** Per browser tab: keeps the panel open while the visitor moves between the site's pages. */
const PANEL_OPEN_KEY = 'parley.panelOpen';
const UNAVAILABLE = 'Chat is not available right now. Please try again later.';
const NO_ANSWER = 'The chat server did not answer. Please try again.';

/** The visitor's side of Parley: one socket, at most one conversation at a time. */
export class VisitorSession {
  conversation: Conversation | null = $state(null);
  connection: WidgetConnection = $state('offline');
  error: string | null = $state(null);
  busy = $state(false);
  /** Agent messages that arrived while the panel was closed. */
  unseen = $state(0);
  panelOpen = $state(false);
  /** The composer's text, kept here so it survives closing the panel. */
  draft = $state('');
  /** What the visitor entered last time, to prefill the form for a new chat. */
  details: StartChatInput = $state.raw({});
  readonly typing: TypingSignal;
  /** The secure form an agent asked for, if any (issue 6). */
  readonly secureForm = new VisitorSecureForm({
    pending: (chatId) => this.#request('secureForm:pending', { chatId }),
    submit: (submission) => this.#request('secureForm:submit', submission),
  });
  /** The Parley server this widget was loaded from. */
  readonly origin: string;
  readonly #channel: ChatChannel;
  #socket: VisitorSocket | null = null;
  #token: string | null = null;
  #refreshing = false;
  /** Connections refused by a visitor limit in a row (issue 12). */
  #refusals = 0;

  constructor(origin: string) {
    this.origin = origin;
    this.typing = new TypingSignal((typing) => {
      const chatId = this.conversation?.chat.id;
      if (chatId !== undefined && this.#socket?.connected) {
        this.#socket.emit('typing', { chatId, typing });
      }
    });
    this.#channel = {
      isConnected: () => this.#socket?.connected ?? false,
      send: (input) => this.#request('message:send', input),
      sync: (input) => this.#request('chat:sync', input),
    };
  }

  /** On page load: reopen a queued or active chat; no socket stays open for a visitor without one. */
  async resume(): Promise<void> {
    if (!readSavedToken()) return;
    try {
      await this.#connect();
      const reply = await this.#request('chat:list', {});
      const open = reply.ok
        ? reply.chats
            .filter((chat) => chat.status !== 'ended')
            .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]
        : undefined;
      if (!open) {
        this.#disconnect();
        return;
      }
      this.#open(open);
      this.panelOpen = readItem(() => sessionStorage, PANEL_OPEN_KEY) === '1';
      await this.#catchUp();
    } catch {
      this.#disconnect(); // Resuming is best effort; starting a chat still works.
    }
  }

  setPanelOpen(open: boolean): void {
    this.panelOpen = open;
    if (open) this.unseen = 0;
    writeItem(() => sessionStorage, PANEL_OPEN_KEY, open ? '1' : null);
  }

  async start(typed: StartChatInput): Promise<void> {
    // Card numbers are masked here too (defence in depth); the server masks regardless.
    const masked = (text?: string) => (text === undefined ? undefined : maskCardNumbers(text).text);
    const input = {
      name: masked(typed.name),
      email: masked(typed.email),
      question: masked(typed.question),
      departmentId: typed.departmentId,
    };
    this.busy = true;
    this.error = null;
    this.details = input;
    try {
      await this.#connect();
      // Past a visitor limit (issue 12): say so, wait as asked, and start it then.
      const reply = await ackWithRetryAfter(
        () => this.#request('chat:start', input),
        (message) => (this.error = message),
      );
      if (!reply.ok) {
        this.error = reply.error.message;
        return;
      }
      this.error = null;
      this.#open(reply.chat);
      await this.#catchUp();
    } catch (error) {
      this.error = error instanceof Error ? error.message : UNAVAILABLE;
    } finally {
      this.busy = false;
    }
  }

  /** Where and with which token this visitor uploads and downloads files (issue 5). */
  fileAccess(): { origin: string; token: string } | null {
    return this.#token ? { origin: this.origin, token: this.#token } : null;
  }

  send(body: string): void {
    const conversation = this.conversation;
    if (!conversation) return;
    this.typing.stop();
    const pending = conversation.compose(
      maskCardNumbers(body).text,
      'visitor',
      conversation.chat.visitorName,
    );
    void conversation.deliver(this.#channel, pending.clientId);
  }

  retry(clientId: string): void {
    this.conversation?.retry(this.#channel, clientId);
  }

  async end(): Promise<void> {
    const conversation = this.conversation;
    if (!conversation) return;
    this.typing.stop();
    this.busy = true;
    try {
      const reply = await this.#request('chat:end', { chatId: conversation.chat.id });
      if (reply.ok) conversation.update(reply.chat);
      else this.error = reply.error.message;
    } catch {
      this.error = NO_ANSWER;
    } finally {
      this.busy = false;
    }
  }

  /** Leaves an ended chat and shows the pre-chat form again. */
  newChat(): void {
    this.conversation?.dispose();
    this.conversation = null;
    this.secureForm.clear();
    this.draft = '';
    this.error = null;
  }

  async #request<E extends keyof VisitorClientEvents>(
    event: E,
    input: EventInput<VisitorClientEvents[E]>,
  ): Promise<EventReply<VisitorClientEvents[E]>> {
    if (!this.#socket) throw new Error(UNAVAILABLE);
    return request<VisitorClientEvents, E>(this.#socket, event, input);
  }

  #open(chat: ChatView): void {
    this.conversation?.dispose();
    this.conversation = new Conversation(chat);
    this.details = { name: chat.visitorName ?? undefined, email: chat.visitorEmail ?? undefined };
    this.unseen = 0;
  }

  async #connect(): Promise<void> {
    if (this.#socket?.connected) return;
    this.connection = 'connecting';
    this.#token = await issueToken(this.origin, () => (this.connection = 'reconnecting'));
    if (!this.#socket) {
      // No `transports: ['websocket']`: enterprise proxies often block websockets; polling must work.
      this.#socket = io(`${this.origin}/visitor`, {
        autoConnect: false,
        withCredentials: false,
        auth: (callback) => callback({ token: this.#token }),
      });
      this.#listen(this.#socket);
    }
    await waitForConnect(this.#socket);
  }

  #disconnect(): void {
    this.#socket?.removeAllListeners();
    this.#socket?.disconnect();
    this.#socket = null;
    this.connection = 'offline';
  }

  /** On every (re)connect: re-send the outbox with the same clientIds, then fetch what we missed. */
  async #catchUp(): Promise<void> {
    const conversation = this.conversation;
    if (!conversation) return;
    conversation.flush(this.#channel);
    try {
      const error = await conversation.sync(this.#channel);
      if (error) this.error = error.message;
      if (conversation.chat.status === 'active') await this.secureForm.load(conversation.chat.id);
    } catch {
      // Timed out; the next reconnect syncs again.
    }
  }

  async #refreshAndReconnect(socket: VisitorSocket): Promise<void> {
    this.#refreshing = true;
    try {
      this.#token = await issueToken(this.origin, () => (this.connection = 'reconnecting'));
      socket.connect();
    } catch {
      this.connection = 'offline';
      this.error = UNAVAILABLE;
    }
  }

  #listen(socket: VisitorSocket): void {
    socket.on('connect', () => {
      this.connection = 'connected';
      this.#refreshing = false;
      this.#refusals = 0;
      void this.#catchUp();
    });
    socket.on('disconnect', (reason) => {
      this.connection = 'reconnecting';
      if (reason === 'io server disconnect' && this.conversation?.isOpen) {
        void this.#refreshAndReconnect(socket);
      }
    });
    socket.on('connect_error', (error) => {
      const standby = standbyRetryOf(error);
      const wait = standby ?? retryAfterOf(error);
      if (wait !== null && !socket.active) {
        // Refused by a visitor limit (issue 12) or a standby site: connect again once it says.
        this.connection = 'reconnecting';
        if (standby === null) this.#refusals += 1;
        if (!reconnectAfterRefusal(socket, wait, this.#refusals)) {
          this.connection = 'offline';
          this.error = error.message;
        }
        return;
      }
      if (socket.active) {
        this.connection = 'reconnecting';
      } else if (this.conversation?.isOpen && !this.#refreshing) {
        // The server refused our token (expired or revoked): fetch a fresh one, try once more.
        void this.#refreshAndReconnect(socket);
      } else {
        this.connection = 'offline';
      }
    });
    socket.on('message:new', (message) => this.#onMessage(message));
    socket.on('chat:updated', (chat) => {
      this.conversation?.update(chat);
      if (chat.status === 'ended') this.secureForm.clear();
    });
    socket.on('secureForm:requested', (offer) =>
      this.secureForm.receive(offer, this.conversation?.chat.id),
    );
    socket.on('typing', (event) => {
      const conversation = this.conversation;
      if (event.author === 'agent' && conversation?.chat.id === event.chatId) {
        conversation.setPeerTyping(event.typing);
      }
    });
  }

  #onMessage(message: MessageView): void {
    const conversation = this.conversation;
    if (!conversation || conversation.chat.id !== message.chatId) return;
    if (conversation.receiveLive(message, 'agent')) void this.#catchUp();
    if (message.author !== 'visitor' && !this.panelOpen) this.unseen += 1;
  }
}
