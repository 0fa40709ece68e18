import type { ChatView, MessageView, QueueEntry } from '../shared/protocol.ts';
import type { AgentRow } from '../storage/agents.ts';
import type { Grants } from './permissions/policy.ts';
import { chatsRepo, type ChatRow } from '../storage/chats.ts';
import type { Db } from '../storage/db.ts';
import { messagesRepo } from '../storage/messages.ts';
import { messageWriter, type LockedChat, type MessageWriter } from '../storage/messageWriter.ts';
import { visitorsRepo } from '../storage/visitors.ts';
import { errors } from './errors.ts';
import { presentChat, presentMessage, presentQueue } from './presenters.ts';

/** What the chat domain tells the transport to deliver; it knows nothing of sockets. */
export interface ChatEvents {
  messageAdded(chat: Participants, message: MessageView): void;
  chatChanged(chat: ChatRow, view: ChatView): void;
  queueChanged(queue: QueueEntry[], views: { chat: ChatRow; view: ChatView }[]): void;
}

/** Enough of a chat to deliver to the people in it. */
export type Participants = Pick<ChatRow, 'visitor_id' | 'agent_id'>;

export type Participant =
  { kind: 'visitor'; visitorId: string } | { kind: 'agent'; agent: AgentRow; grants: Grants };

const SYNC_PAGE = 500;

/** Whether an entry of the queue is one these grants may accept (its department is covered). */
export function mayAcceptFrom(grants: Grants, entry: QueueEntry): boolean {
  return grants.covers('chats.accept', { departmentId: entry.departmentId, agentId: null });
}

/** Who may add a message to a chat: its visitor while it is open, its agent while it is active. */
function mayWrite(who: Participant) {
  return (chat: LockedChat | undefined): Error | null => {
    if (!chat) return errors.chatNotFound();
    if (who.kind === 'visitor' && chat.visitor_id !== who.visitorId) return errors.chatNotFound();
    if (who.kind === 'agent' && chat.agent_id !== who.agent.id) {
      return chat.status === 'queued'
        ? errors.forbidden('write in a chat you have not accepted')
        : errors.chatNotFound();
    }
    return chat.status === 'ended' ? errors.chatEnded() : null;
  };
}

export function chatService(db: Db, events: ChatEvents, writer: MessageWriter = messageWriter(db)) {
  const chats = chatsRepo(db);
  const messages = messagesRepo(db);
  const visitors = visitorsRepo(db);

  async function view(chat: ChatRow): Promise<ChatView> {
    if (chat.status !== 'queued') return presentChat(chat);
    const queue = await chats.queued();
    return presentChat(chat, queue.findIndex((row) => row.id === chat.id) + 1 || null);
  }

  async function publishQueue(): Promise<void> {
    const queue = await chats.queued();
    events.queueChanged(
      presentQueue(queue),
      queue.map((chat, index) => ({ chat, view: presentChat(chat, index + 1) })),
    );
  }

  async function reload(chatId: number): Promise<ChatRow> {
    const chat = await chats.byId(chatId);
    if (!chat) throw errors.chatNotFound();
    return chat;
  }

  /** The chat, if this participant may read and write it; the same error whether absent or not theirs. */
  async function authorize(who: Participant, chatId: number): Promise<ChatRow> {
    const chat = await chats.byId(chatId);
    if (!chat) throw errors.chatNotFound();
    if (who.kind === 'visitor' && chat.visitor_id === who.visitorId) return chat;
    if (who.kind === 'agent') {
      const resource = { departmentId: chat.department_id, agentId: chat.agent_id };
      if (chat.agent_id === who.agent.id) return chat;
      // A waiting chat is visible to whoever may accept it; others' chats to whoever may monitor them.
      if (chat.status === 'queued' && who.grants.covers('chats.accept', resource)) return chat;
      if (chat.status !== 'queued' && who.grants.covers('chats.monitor', resource)) return chat;
    }
    throw errors.chatNotFound();
  }

  return {
    authorize,
    view,
    /** The waiting chats this agent may accept; positions stay those of the whole queue. */
    queue: async (who: Participant & { kind: 'agent' }) =>
      presentQueue(await chats.queued()).filter((entry) => mayAcceptFrom(who.grants, entry)),

    async start(visitorId: string, form: { name?: string; email?: string; question?: string }) {
      await visitors.ensure(visitorId);
      const open = await chats.forVisitor(visitorId, ['queued', 'active']);
      if (open.length > 0) throw errors.chatAlreadyOpen();
      await visitors.updateContact(visitorId, form.name ?? null, form.email ?? null);
      const id = await chats.insert({
        visitor_id: visitorId,
        visitor_name: form.name ?? null,
        visitor_email: form.email ?? null,
        question: form.question ?? null,
      });
      if (form.question) {
        await writer.append({
          chatId: id,
          clientId: `question-${id}`,
          author: 'visitor',
          authorAgentId: null,
          authorName: null,
          body: form.question,
          check: mayWrite({ kind: 'visitor', visitorId }),
        });
      }
      await publishQueue();
      return view(await reload(id));
    },

    async listForVisitor(visitorId: string) {
      const rows = await chats.forVisitor(visitorId, ['queued', 'active']);
      return Promise.all(rows.map(view));
    },

    async listForAgent(agent: AgentRow) {
      return (await chats.forAgent(agent.id, 'active')).map((row) => presentChat(row));
    },

    async sync(who: Participant, chatId: number, afterSeq: number) {
      const chat = await authorize(who, chatId);
      const rows = await messages.since(chat.id, afterSeq, SYNC_PAGE);
      return { chat: await view(chat), messages: rows.map(presentMessage) };
    },

    async send(who: Participant, chatId: number, clientId: string, body: string) {
      // Authorized against the chat row as it is under the write lock, not as it was a moment ago.
      const { row, created, chat } = await writer.append({
        chatId,
        clientId,
        author: who.kind,
        authorAgentId: who.kind === 'agent' ? who.agent.id : null,
        authorName: who.kind === 'agent' ? who.agent.name : null,
        body,
        check: mayWrite(who),
      });
      const message = presentMessage(row);
      if (created) events.messageAdded(chat, message); // a resend was delivered the first time
      return message;
    },

    async accept(who: Participant & { kind: 'agent' }, chatId: number) {
      const chat = await authorize(who, chatId);
      if (chat.status !== 'queued' || !(await chats.accept(chat.id, who.agent.id)))
        throw errors.chatNotQueued();
      const accepted = await reload(chat.id);
      const acceptedView = await view(accepted);
      events.chatChanged(accepted, acceptedView);
      await publishQueue();
      return acceptedView;
    },

    async end(who: Participant, chatId: number) {
      const chat = await authorize(who, chatId);
      if (who.kind === 'agent' && chat.agent_id !== who.agent.id) {
        throw errors.forbidden('end a chat you have not accepted');
      }
      if (!(await chats.end(chat.id, who.kind))) throw errors.chatEnded();
      const ended = await reload(chat.id);
      const endedView = presentChat(ended);
      events.chatChanged(ended, endedView);
      if (chat.status === 'queued') await publishQueue();
      return endedView;
    },
  };
}

export type ChatService = ReturnType<typeof chatService>;
