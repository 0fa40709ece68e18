import type {
  Ack,
  AuthorKind,
  ChatView,
  ErrorBody,
  MessageView,
  SendInput,
  SyncInput,
} from '../../app/shared/protocol.ts';
import { createPending, InFlight, mergeBySeq, settle, type PendingMessage } from './messageLog.ts';
import { retryAfterOf, waitMs } from './retryAfter.ts';

/** The socket calls a conversation needs; both the visitor and the agent socket provide them. */
export interface ChatChannel {
  isConnected(): boolean;
  send(input: SendInput): Promise<Ack<{ message: MessageView }>>;
  sync(input: SyncInput): Promise<Ack<{ chat: ChatView; messages: MessageView[] }>>;
}

/** The other side's typing indicator clears itself if its `typing: false` never arrives. */
const PEER_TYPING_EXPIRES_MS = 6000;
/** A safety stop for `sync` paging, far above any real backlog. */
const MAX_SYNC_PAGES = 100;

/**
 * One chat as a client sees it: messages merged by `seq` (no duplicates, in order) and an outbox
 * of sends not yet acknowledged, re-sent with the same `clientId` after a reconnect.
 */
export class Conversation {
  chat: ChatView;
  messages: MessageView[] = $state.raw([]);
  outbox: PendingMessage[] = $state.raw([]);
  peerTyping = $state(false);
  #inFlight = new InFlight();
  #peerTypingTimer: number | undefined;
  #resendTimer: number | undefined;

  constructor(chat: ChatView) {
    this.chat = $state.raw(chat);
  }

  get lastSeq(): number {
    return this.messages.at(-1)?.seq ?? 0;
  }

  get isOpen(): boolean {
    return this.chat.status !== 'ended';
  }

  update(chat: ChatView): void {
    if (chat.id !== this.chat.id) return;
    this.chat = chat;
    if (chat.status === 'ended') this.setPeerTyping(false);
  }

  /** Merges messages by seq and settles their outbox entries. */
  receive(incoming: MessageView[]): void {
    const merged = mergeBySeq(this.messages, incoming, this.chat.id);
    if (merged) this.messages = merged;
    const outbox = settle(this.outbox, incoming);
    if (outbox.length !== this.outbox.length) this.outbox = outbox;
  }

  /** Takes a live `message:new`; returns true when a gap shows that earlier messages were missed. */
  receiveLive(message: MessageView, peer: AuthorKind): boolean {
    const gap = message.seq > this.lastSeq + 1;
    this.receive([message]);
    if (message.author === peer) this.setPeerTyping(false);
    return gap;
  }

  setPeerTyping(typing: boolean): void {
    window.clearTimeout(this.#peerTypingTimer);
    this.peerTyping = typing;
    if (typing) {
      this.#peerTypingTimer = window.setTimeout(() => {
        this.peerTyping = false;
      }, PEER_TYPING_EXPIRES_MS);
    }
  }

  /** Adds a message to the outbox, shown as "sending…" until the server acknowledges it. */
  compose(body: string, author: AuthorKind, authorName: string | null): PendingMessage {
    const pending = createPending(body, author, authorName);
    this.outbox = [...this.outbox, pending];
    return pending;
  }

  async deliver(channel: ChatChannel, clientId: string): Promise<void> {
    const pending = this.outbox.find((p) => p.clientId === clientId);
    if (!pending || pending.error || !channel.isConnected()) return;
    // Waiting out a limit: it goes with the resend, after the refused ones, in order.
    if (this.#resendTimer !== undefined) return;
    if (!this.#inFlight.begin(clientId)) return;
    try {
      const reply = await channel.send({ chatId: this.chat.id, clientId, body: pending.body });
      const wait = reply.ok ? null : retryAfterOf(reply.error);
      if (reply.ok) this.receive([reply.message]);
      // Past a visitor limit (issue 12): kept in the outbox and sent again after the wait.
      else if (wait !== null) this.#resendLater(channel, wait);
      else this.#fail(clientId, reply.error.message);
    } catch {
      // No acknowledgement in time: it stays in the outbox and is re-sent after a reconnect.
    } finally {
      this.#inFlight.end(clientId);
    }
  }

  /** Re-sends every unacknowledged message; socket.io keeps emit order, so the chat order holds. */
  flush(channel: ChatChannel): void {
    for (const pending of this.outbox) void this.deliver(channel, pending.clientId);
  }

  retry(channel: ChatChannel, clientId: string): void {
    this.outbox = this.outbox.map((p) => (p.clientId === clientId ? { ...p, error: null } : p));
    void this.deliver(channel, clientId);
  }

  discard(clientId: string): void {
    this.outbox = this.outbox.filter((p) => p.clientId !== clientId);
  }

  /** Fetches everything after the highest seq seen, page by page, until caught up with the chat. */
  async sync(channel: ChatChannel): Promise<ErrorBody | null> {
    for (let page = 0; page < MAX_SYNC_PAGES; page++) {
      const before = this.lastSeq;
      const reply = await channel.sync({ chatId: this.chat.id, afterSeq: before });
      if (!reply.ok) return reply.error;
      this.update(reply.chat);
      this.receive(reply.messages);
      if (this.lastSeq >= reply.chat.lastSeq || this.lastSeq === before) return null;
    }
    return null;
  }

  dispose(): void {
    window.clearTimeout(this.#peerTypingTimer);
    window.clearTimeout(this.#resendTimer);
  }

  /** Once the wait is over, the whole outbox again, in order (one timer for every refused send). */
  #resendLater(channel: ChatChannel, seconds: number): void {
    if (this.#resendTimer !== undefined) return;
    this.#resendTimer = window.setTimeout(() => {
      this.#resendTimer = undefined;
      this.flush(channel);
    }, waitMs(seconds));
  }

  #fail(clientId: string, error: string): void {
    this.outbox = this.outbox.map((p) => (p.clientId === clientId ? { ...p, error } : p));
  }
}
