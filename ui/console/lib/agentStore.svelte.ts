import { io, type Socket } from 'socket.io-client';
import type {
  AgentClientEvents,
  AgentServerEvents,
  AgentView,
  ChatView,
  MessageView,
  QueueEntry,
} from '../../../app/shared/protocol.ts';
import type { OfferView } from '../../../app/shared/routing.ts';
import type { ChatChannel } from '../../shared/conversation.svelte.ts';
import { SecureFormVault } from '../../shared/secureFormVault.svelte.ts';
import { ChatActions } from './chatActions.svelte.ts';
import { ConsoleChat } from './consoleChat.svelte.ts';
import { LAYOUT_KEY, readLayout, type ChatLayout } from './layout.ts';
import { mergeQueueSlice } from './queueSlices.ts';
import { currentAgent } from './session.ts';
import { notifier } from './notifications.svelte.ts';
import { socketArea, type SocketArea } from './socketArea.ts';
import { standbySite } from './standbySite.svelte.ts';

type AgentSocket = Socket<AgentServerEvents, AgentClientEvents>;
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';
export type { ChatLayout };
const REFUSED_RETRY_MS = 5000;
const NO_ANSWER = 'The server did not answer in time. Please try again.';

/**
 * The console's one socket and everything it feeds: connection state, the queue and the agent's
 * open chats. Components read its state and call its methods; nothing else talks to the socket.
 */
export class AgentStore {
  readonly agent: AgentView;
  connection: ConnectionState = $state('connecting');
  queue: QueueEntry[] = $state.raw([]);
  /** Chats routing offers this agent now (issue 14), oldest first. */
  offers: OfferView[] = $state.raw([]);
  chats: ConsoleChat[] = $state.raw([]);
  activeChatId: number | null = $state(null);
  layout: ChatLayout = $state(readLayout());
  notice: string | null = $state(null);
  /** Secure-form keys and values, per chat, in this page's memory only (issue 6). */
  readonly secureForms = new SecureFormVault((chatId, publicKey) =>
    this.area.request('secureForm:request', { chatId, publicKey }),
  );
  /** This socket, for a console area that keeps its own state (agent chat, issue 14). */
  readonly area: SocketArea;
  /** Transfer, join, monitor, whisper (issue 14). */
  readonly actions: ChatActions;
  readonly #socket: AgentSocket;
  readonly #channel: ChatChannel;
  readonly #onSignedOut: (message: string) => void;
  #retryTimer: number | undefined;

  constructor(agent: AgentView, onSignedOut: (message: string) => void) {
    this.agent = agent;
    this.#onSignedOut = onSignedOut;
    // Same origin as the console; the session cookie authenticates. Polling stays as a fallback.
    this.#socket = io('/agent', { autoConnect: false, withCredentials: true });
    const socket = this.#socket;
    this.area = socketArea(socket);
    this.#channel = {
      isConnected: () => socket.connected,
      send: (input) => this.area.request('message:send', input),
      sync: (input) => this.area.request('chat:sync', input),
    };
    notifier.attach(socket, this); // before #listen: it compares queues
    const host = {
      socket,
      find: (id: number) => this.find(id),
      activate: (id: number) => this.activate(id),
    };
    this.actions = new ChatActions({
      ...host,
      adopt: (view) => this.#adopt(view),
      close: (id) => this.close(id),
    });
    this.#listen();
  }

  get unreadTotal(): number {
    return this.chats.reduce((sum, chat) => sum + chat.unread, 0);
  }

  connect(): void {
    this.#socket.connect();
  }

  disconnect(): void {
    window.clearTimeout(this.#retryTimer);
    this.#socket.removeAllListeners();
    this.#socket.io.removeAllListeners();
    this.#socket.disconnect();
    this.secureForms.forgetAll();
    for (const chat of this.chats) chat.dispose();
  }

  find(chatId: number): ConsoleChat | undefined {
    return this.chats.find((chat) => chat.id === chatId);
  }

  activate(chatId: number): void {
    const chat = this.find(chatId);
    if (!chat) return;
    this.activeChatId = chatId;
    chat.unread = 0;
  }

  setLayout(layout: ChatLayout): void {
    this.layout = layout;
    try {
      localStorage.setItem(LAYOUT_KEY, layout);
    } catch {
      // Storage may be disabled by policy; the choice then lasts for this page only.
    }
  }

  async accept(chatId: number): Promise<void> {
    try {
      const reply = await this.area.request('chat:accept', { chatId });
      if (!reply.ok) {
        this.notice = reply.error.message;
        return;
      }
      const chat = this.#adopt(reply.chat);
      this.activate(chat.id);
      await this.#sync(chat);
    } catch {
      this.notice = NO_ANSWER;
    }
  }

  /** Declines an offered chat; routing offers it to the next agent. */
  async refuse(offer: OfferView, reason: string): Promise<void> {
    try {
      const reply = await this.area.request('chat:refuse', { chatId: offer.chatId, reason });
      if (reply.ok) this.#dropOffer(offer);
      else this.notice = reply.error.message;
    } catch {
      this.notice = NO_ANSWER;
    }
  }

  send(chatId: number, body: string): void {
    const chat = this.find(chatId);
    if (!chat) return;
    chat.typing.stop();
    const pending = chat.conversation.compose(body, 'agent', this.agent.name);
    void chat.conversation.deliver(this.#channel, pending.clientId);
  }

  retry(chatId: number, clientId: string): void {
    this.find(chatId)?.conversation.retry(this.#channel, clientId);
  }

  async end(chatId: number): Promise<void> {
    const chat = this.find(chatId);
    if (!chat) return;
    chat.typing.stop();
    try {
      const reply = await this.area.request('chat:end', { chatId });
      chat.error = reply.ok ? null : reply.error.message;
      if (reply.ok) chat.conversation.update(reply.chat);
      if (reply.ok) this.secureForms.forget(chatId);
    } catch {
      chat.error = NO_ANSWER;
    }
  }

  /** Removes an ended chat from the screen; it stays available under Transcripts. */
  close(chatId: number): void {
    const index = this.chats.findIndex((chat) => chat.id === chatId);
    if (index === -1) return;
    this.secureForms.forget(chatId);
    this.chats[index]!.dispose();
    this.chats = this.chats.filter((chat) => chat.id !== chatId);
    if (this.activeChatId === chatId) {
      const next = this.chats[Math.min(index, this.chats.length - 1)];
      this.activeChatId = next?.id ?? null;
    }
  }

  #dropOffer = ({ offerId }: { offerId: number }) =>
    (this.offers = this.offers.filter((offer) => offer.offerId !== offerId));
  #emitTyping = (chatId: number, typing: boolean): void => {
    if (this.#socket.connected) this.#socket.emit('typing', { chatId, typing });
  };

  #listen(): void {
    const socket = this.#socket;
    socket.on('connect', () => {
      this.connection = 'connected';
      void this.#catchUp();
    });
    socket.on('disconnect', (reason) => {
      this.connection = 'reconnecting';
      // The server cut us off on purpose (not a network blip): find out whether we are signed out.
      if (reason === 'io server disconnect') void this.#checkSession();
    });
    socket.on('connect_error', (error) => {
      if (standbySite.noted(error)) return; // a standby site (issue 15): App connects once it serves
      this.connection = 'reconnecting';
      // An inactive socket means the server refused the handshake, which it does without a session.
      if (!socket.active) void this.#checkSession();
    });
    socket.on('session:ended', (reason) => this.#onSignedOut(reason.message));
    socket.on('queue:updated', (queue, slice) => {
      this.queue = mergeQueueSlice(this.queue, queue, slice);
    });
    socket.on('offer:new', (offer) => (this.offers = [...this.offers, offer]));
    socket.on('offer:closed', (closed) => this.#dropOffer(closed));
    socket.on('message:new', (message) => this.#onMessage(message));
    socket.on('chat:updated', (chat) => {
      this.find(chat.id)?.conversation.update(chat);
      if (chat.status === 'ended') this.secureForms.forget(chat.id);
    });
    socket.on('secureForm:submitted', (submission) => void this.secureForms.receive(submission));
    socket.on('typing', (event) => {
      if (event.author === 'visitor')
        this.find(event.chatId)?.conversation.setPeerTyping(event.typing);
    });
  }

  async #checkSession(): Promise<void> {
    try {
      if ((await currentAgent()) === null) {
        this.#onSignedOut('Your session has ended. Please sign in again.');
        return;
      }
    } catch {
      // The server is unreachable; keep trying below.
    }
    window.clearTimeout(this.#retryTimer);
    this.#retryTimer = window.setTimeout(() => this.#socket.connect(), REFUSED_RETRY_MS);
  }

  /** On every (re)connect: refresh the queue and our chats, re-send the outbox, fetch what we missed. */
  async #catchUp(): Promise<void> {
    try {
      const [queue, mine, offers] = await Promise.all([
        this.area.request('queue:list', {}),
        this.area.request('chat:mine', {}),
        this.area.request('offer:list', {}),
      ]);
      if (queue.ok) this.queue = queue.queue;
      if (offers.ok) this.offers = offers.offers;
      if (mine.ok) for (const chat of mine.chats) this.#adopt(chat);
      else this.notice = mine.error.message;
    } catch {
      this.notice = NO_ANSWER;
    }
    for (const chat of this.chats) chat.conversation.flush(this.#channel);
    await this.actions.catchUp();
    await Promise.all(this.chats.map((chat) => this.#sync(chat)));
  }

  async #sync(chat: ConsoleChat): Promise<void> {
    try {
      const error = await chat.conversation.sync(this.#channel);
      chat.error = error?.message ?? null;
    } catch {
      chat.error = 'Could not load the latest messages; retrying when the connection recovers.';
    }
  }

  #adopt(view: ChatView): ConsoleChat {
    const known = this.find(view.id);
    if (known) {
      known.conversation.update(view);
      return known;
    }
    const chat = new ConsoleChat(view, this.#emitTyping);
    this.chats = [...this.chats, chat];
    this.activeChatId ??= chat.id;
    return chat;
  }

  #onMessage(message: MessageView): void {
    const chat = this.find(message.chatId);
    if (!chat) {
      // Accepted in another console tab: load it if the server says it is ours.
      void this.#adoptById(message.chatId);
      return;
    }
    if (chat.conversation.receiveLive(message, 'visitor')) void this.#sync(chat);
    if (message.author === 'visitor' && chat.id !== this.activeChatId) chat.unread += 1;
  }

  async #adoptById(chatId: number): Promise<void> {
    try {
      const reply = await this.area.request('chat:sync', { chatId, afterSeq: 0 });
      if (!reply.ok || reply.chat.status === 'ended') return;
      const chat = this.#adopt(reply.chat);
      chat.conversation.receive(reply.messages);
      await this.#sync(chat);
    } catch {
      // Picked up by chat:mine on the next reconnect.
    }
  }
}
