import type {
  AgentConversationView,
  AgentMessageView,
  ColleagueView,
} from '../../../app/shared/agentChat.ts';
import { createPending } from '../../shared/messageLog.ts';
import type { AgentStore } from '../lib/agentStore.svelte.ts';

// Agent-to-agent chat in the console (issue 14): the agent's conversations, their messages and an
// outbox of sends not yet acknowledged (resent with the same client id after a reconnect).

export type TeamMessage = AgentMessageView & { status: 'sent' | 'sending' | 'failed' };

const NO_ANSWER = 'The server did not answer in time. Please try again.';
const stores = new WeakMap<AgentStore, TeamStore>();

/** The one team store of a console session; the Agents panel calls `teamOf(store).openDirect(id)`. */
export function teamOf(store: AgentStore): TeamStore {
  let team = stores.get(store);
  if (!team) {
    team = new TeamStore(store);
    stores.set(store, team);
  }
  return team;
}

export class TeamStore {
  conversations: AgentConversationView[] = $state.raw([]);
  colleagues: ColleagueView[] = $state.raw([]);
  messages: Record<number, TeamMessage[]> = $state.raw({});
  activeId: number | null = $state(null);
  error: string | null = $state(null);
  readonly #store: AgentStore;
  /** Per conversation, the seq up to which every message has been fetched. */
  readonly #synced: Record<number, number> = {};

  constructor(store: AgentStore) {
    this.#store = store;
    store.area.on('agentChat:message', (message) => this.#onMessage(message));
    store.area.on('agentChat:conversation', (conversation) => this.#upsert(conversation));
    store.area.onConnect(() => void this.refresh());
  }

  get unreadTotal(): number {
    return this.conversations.reduce((sum, c) => sum + c.unread, 0);
  }

  get active(): AgentConversationView | undefined {
    return this.conversations.find((c) => c.id === this.activeId);
  }

  /** On every (re)connect: conversations, colleagues, the outbox, and what the open one missed. */
  async refresh(): Promise<void> {
    const area = this.#store.area;
    try {
      const [list, colleagues] = await Promise.all([
        area.request('agentChat:list', {}),
        area.request('agentChat:colleagues', {}),
      ]);
      if (!list.ok) {
        this.error = list.error.message;
        return;
      }
      this.conversations = list.conversations;
      if (colleagues.ok) this.colleagues = colleagues.colleagues;
      for (const [id, messages] of Object.entries(this.messages))
        for (const m of messages.filter((m) => m.status !== 'sent'))
          void this.#deliver(Number(id), m.clientId, m.body);
      if (this.activeId !== null) await this.#sync(this.activeId);
    } catch {
      this.error = NO_ANSWER;
    }
  }

  /** Opens (creating if need be) the direct conversation with a colleague, and shows it. */
  async openDirect(agentId: number): Promise<void> {
    try {
      const reply = await this.#store.area.request('agentChat:open', { agentId });
      if (!reply.ok) {
        this.error = reply.error.message;
        return;
      }
      this.#upsert(reply.conversation);
      await this.select(reply.conversation.id);
    } catch {
      this.error = NO_ANSWER;
    }
  }

  async select(conversationId: number): Promise<void> {
    this.activeId = conversationId;
    this.error = null;
    await this.#sync(conversationId);
  }

  send(body: string): void {
    const conversationId = this.activeId;
    if (conversationId === null) return;
    // A client id and a time, as the visitor chat's outbox makes them.
    const { clientId, createdAt } = createPending(body, 'agent', this.#store.agent.name);
    const pending: TeamMessage = {
      conversationId,
      seq: 0,
      clientId,
      authorAgentId: this.#store.agent.id,
      authorName: this.#store.agent.name,
      body,
      createdAt,
      status: 'sending',
    };
    this.#put(conversationId, pending);
    void this.#deliver(conversationId, pending.clientId, body);
  }

  retry(conversationId: number, clientId: string): void {
    const message = this.messages[conversationId]?.find((m) => m.clientId === clientId);
    if (!message) return;
    this.#put(conversationId, { ...message, status: 'sending' });
    void this.#deliver(conversationId, clientId, message.body);
  }

  async #deliver(conversationId: number, clientId: string, body: string): Promise<void> {
    const failed = () => {
      const message = this.messages[conversationId]?.find((m) => m.clientId === clientId);
      if (message) this.#put(conversationId, { ...message, status: 'failed' });
    };
    try {
      const area = this.#store.area;
      const reply = await area.request('agentChat:send', { conversationId, clientId, body });
      if (!reply.ok) {
        this.error = reply.error.message;
        failed();
        return;
      }
      this.#put(conversationId, { ...reply.message, status: 'sent' });
    } catch {
      failed();
    }
  }

  /** Fetches what came after the last seq synced (live messages may have left gaps), page by page. */
  async #sync(conversationId: number): Promise<void> {
    try {
      for (;;) {
        const afterSeq = this.#synced[conversationId] ?? 0;
        const area = this.#store.area;
        const reply = await area.request('agentChat:sync', { conversationId, afterSeq });
        if (!reply.ok) {
          this.error = reply.error.message;
          return;
        }
        for (const message of reply.messages)
          this.#put(conversationId, { ...message, status: 'sent' });
        this.#upsert(reply.conversation);
        const last = reply.messages.at(-1)?.seq ?? afterSeq;
        this.#synced[conversationId] = last;
        if (reply.messages.length === 0 || last >= reply.conversation.lastSeq) break;
      }
      await this.#markRead(conversationId);
    } catch {
      this.error = NO_ANSWER;
    }
  }

  async #markRead(conversationId: number): Promise<void> {
    const seq = Math.max(0, ...(this.messages[conversationId] ?? []).map((m) => m.seq));
    this.conversations = this.conversations.map((c) =>
      c.id === conversationId ? { ...c, unread: 0 } : c,
    );
    await this.#store.area.request('agentChat:read', { conversationId, seq });
  }

  #onMessage(message: AgentMessageView): void {
    const conversation = this.conversations.find((c) => c.id === message.conversationId);
    if (!conversation) {
      void this.refresh(); // a room or conversation this console has not listed yet
      return;
    }
    const known = this.messages[message.conversationId]?.some(
      (m) => m.clientId === message.clientId && m.status === 'sent',
    );
    this.#put(message.conversationId, { ...message, status: 'sent' });
    if (known || message.authorAgentId === this.#store.agent.id) return;
    if (message.conversationId === this.activeId && document.visibilityState === 'visible') {
      void this.#markRead(message.conversationId).catch(() => undefined);
      return;
    }
    this.#upsert({ ...conversation, unread: conversation.unread + 1, lastSeq: message.seq });
  }

  /** Stores a message by client id (a pending one is replaced by its acknowledgement), by seq. */
  #put(conversationId: number, message: TeamMessage): void {
    const others = (this.messages[conversationId] ?? []).filter(
      (m) => m.clientId !== message.clientId,
    );
    const sorted = [...others, message].sort(
      (a, b) => (a.seq || Number.MAX_SAFE_INTEGER) - (b.seq || Number.MAX_SAFE_INTEGER),
    );
    this.messages = { ...this.messages, [conversationId]: sorted };
  }

  #upsert(conversation: AgentConversationView): void {
    const exists = this.conversations.some((c) => c.id === conversation.id);
    this.conversations = exists
      ? this.conversations.map((c) => (c.id === conversation.id ? conversation : c))
      : [...this.conversations, conversation];
  }
}
