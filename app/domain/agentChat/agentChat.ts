import type {
  AgentConversationView,
  AgentMessageView,
  ColleagueView,
} from '../../shared/agentChat.ts';
import { maskCardNumbers } from '../../shared/cardNumbers.ts';
import {
  agentConversationsRepo,
  type AgentConversationListRow,
  type AgentConversationRow,
} from '../../storage/agentConversations.ts';
import { agentMessagesRepo, type NewAgentMessage } from '../../storage/agentMessages.ts';
import { agentsRepo } from '../../storage/agents.ts';
import { departmentsRepo } from '../../storage/departments.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Participant } from '../chats/participants.ts';
import { loadGrants } from '../permissions/policy.ts';
import { agentChatErrors, mayMessage, mayUseRoom, roomsOf } from './policy.ts';

// Agent-to-agent chat (issue 14). Each message is its own short transaction that locks its
// conversation's row (SELECT … FOR UPDATE): the resend check, the next seq and the insert happen
// under that lock, and the sender's ack waits for the commit. Creating a conversation is audited;
// messages are not (like visitors' messages): they are the conversation itself.

const SYNC_PAGE = 500;

export type Agent = Participant & { kind: 'agent' };

/** What the agent-chat domain tells the transport to deliver; it knows nothing of sockets. */
export interface AgentChatEvents {
  messageAdded(conversation: AgentConversationRow, message: AgentMessageView): void;
  /** A direct conversation was created: its other agent should see it appear. */
  conversationOpened(agentId: number, view: AgentConversationView): void;
}

const presentConversation = (row: AgentConversationListRow): AgentConversationView => ({
  id: row.id,
  kind: row.kind,
  title: row.title ?? (row.kind === 'direct' ? 'Colleague' : 'Department'),
  agentId: row.other_id,
  departmentId: row.department_id,
  lastSeq: row.last_seq,
  unread: row.unread,
});

const presentMessage = (row: NewAgentMessage, authorName: string): AgentMessageView => ({
  conversationId: row.conversation_id,
  seq: row.seq,
  clientId: row.client_id,
  authorAgentId: row.author_agent_id,
  authorName,
  body: row.body,
  createdAt: new Date(row.created_at).toISOString(),
});

export function agentChatService(db: Store, events: AgentChatEvents, audit?: AuditLog) {
  const conversations = agentConversationsRepo(db);
  const messages = agentMessagesRepo(db);
  const departments = departmentsRepo(db);

  /** The departments an agent belongs to now (not as of their handshake). */
  const memberOf = (me: Agent) => departments.ofAgent(me.agent.id);

  /** The conversation, if this agent is in it; the same error whether absent or not theirs. */
  async function authorize(me: Agent, conversationId: number): Promise<AgentConversationRow> {
    const row = await conversations.byId(conversationId);
    if (row?.kind === 'direct' && (row.agent_low === me.agent.id || row.agent_high === me.agent.id))
      return row;
    if (row?.kind === 'department' && mayUseRoom(me.grants, await memberOf(me), row.department_id!))
      return row;
    throw agentChatErrors.conversationNotFound();
  }

  async function viewFor(me: Agent, conversationId: number): Promise<AgentConversationView> {
    return viewAs(me.agent.id, await memberOf(me), conversationId);
  }

  async function viewAs(agentId: number, rooms: number[], conversationId: number) {
    const [row] = await conversations.listFor(agentId, rooms, conversationId);
    if (!row) throw agentChatErrors.conversationNotFound();
    return presentConversation(row);
  }

  /** A colleague this agent may message: active, holding chats.agent_chat, within the grant. */
  async function colleague(me: Agent, agentId: number) {
    if (agentId === me.agent.id) throw agentChatErrors.notYourself();
    const row = await agentsRepo(db).byId(agentId);
    if (!row || !row.active) throw agentChatErrors.colleagueNotFound();
    const theirs = { id: row.id, departments: await departments.ofAgent(row.id) };
    if (!mayMessage(me.grants, theirs) || !(await loadGrants(db, row)).holds('chats.agent_chat'))
      throw agentChatErrors.colleagueNotFound();
    return row;
  }

  /** Creates the conversation if it is missing; its creation is audited in the same transaction. */
  async function ensure(
    me: Agent,
    create: (
      repo: ReturnType<typeof agentConversationsRepo>,
    ) => ReturnType<ReturnType<typeof agentConversationsRepo>['ensureDirect']>,
    details: Record<string, unknown>,
  ) {
    return transaction(db, async (trx) => {
      const result = await create(agentConversationsRepo(trx));
      if (result.created && audit) {
        await audit.record(
          {
            actor: { kind: 'agent', id: me.agent.id, label: me.agent.email },
            action: 'agent_chat.create',
            outcome: 'success',
            target: { kind: 'agent_conversation', id: result.row.id },
            departmentId: result.row.department_id,
            ip: me.source?.ip,
            userAgent: me.source?.userAgent,
            details: { kind: result.row.kind, ...details },
          },
          trx,
        );
      }
      return result;
    });
  }

  return {
    authorize,

    /** Rooms of the agent's departments (created on first use) and their direct conversations. */
    async list(me: Agent): Promise<AgentConversationView[]> {
      const rooms = roomsOf(me.grants, await memberOf(me));
      const existing = await conversations.listFor(me.agent.id, rooms);
      const missing = rooms.filter((id) => !existing.some((row) => row.department_id === id));
      for (const departmentId of missing)
        await ensure(me, (repo) => repo.ensureDepartment(departmentId), { departmentId });
      const rows = missing.length > 0 ? await conversations.listFor(me.agent.id, rooms) : existing;
      return rows.map(presentConversation);
    },

    /** The departments whose rooms this agent's sockets should join. */
    rooms: async (me: Agent) => roomsOf(me.grants, await memberOf(me)),

    async colleagues(me: Agent): Promise<ColleagueView[]> {
      return (await conversations.colleagues(me.agent.id))
        .filter((row) => mayMessage(me.grants, row))
        .map((row) => ({ id: row.id, name: row.name }));
    },

    async open(me: Agent, agentId: number): Promise<AgentConversationView> {
      await colleague(me, agentId);
      const [low, high] = [me.agent.id, agentId].sort((a, b) => a - b) as [number, number];
      const { row, created } = await ensure(me, (repo) => repo.ensureDirect(low, high), {
        with: agentId,
      });
      if (created) events.conversationOpened(agentId, await viewAs(agentId, [], row.id));
      return viewFor(me, row.id);
    },

    async sync(me: Agent, conversationId: number, afterSeq: number) {
      await authorize(me, conversationId);
      const rows = await messages.since(conversationId, afterSeq, SYNC_PAGE);
      return {
        conversation: await viewFor(me, conversationId),
        messages: rows.map((row) => presentMessage(row, row.author_name)),
      };
    },

    async send(me: Agent, conversationId: number, clientId: string, typed: string) {
      const conversation = await authorize(me, conversationId);
      if (conversation.kind === 'direct') {
        const other =
          conversation.agent_low === me.agent.id
            ? conversation.agent_high!
            : conversation.agent_low!;
        await colleague(me, other); // still allowed to be messaged
      }
      const body = maskCardNumbers(typed).text; // before storage, broadcast, logs
      const { row, created } = await transaction(db, async (trx) => {
        const locked = await agentConversationsRepo(trx).lock(conversationId);
        if (!locked) throw agentChatErrors.conversationNotFound();
        const repo = agentMessagesRepo(trx);
        const previous = await repo.byClientId(conversationId, clientId);
        if (previous) return { row: previous, created: false };
        const stored = await repo.insert({
          conversation_id: conversationId,
          seq: locked.last_seq + 1,
          client_id: clientId,
          author_agent_id: me.agent.id,
          body,
          created_at: new Date(),
        });
        await agentConversationsRepo(trx).setLastSeq(conversationId, stored.seq);
        return { row: { ...stored, author_name: me.agent.name }, created: true };
      });
      const message = presentMessage(row, row.author_name);
      if (created) events.messageAdded(conversation, message); // a resend was delivered the first time
      return message;
    },

    async read(me: Agent, conversationId: number, seq: number): Promise<void> {
      const conversation = await authorize(me, conversationId);
      await conversations.markRead(
        conversationId,
        me.agent.id,
        Math.min(seq, conversation.last_seq),
      );
    },
  };
}

export type AgentChatService = ReturnType<typeof agentChatService>;
