import type { ChatView, QueueEntry } from '../../shared/protocol.ts';
import type { AgentRow } from '../../storage/agents.ts';
import { chatParticipantsRepo } from '../../storage/chatParticipants.ts';
import type { ChatOfferRow } from '../../storage/chatOffers.ts';
import { chatsRepo, type ChatRow } from '../../storage/chats.ts';
import type { Store } from '../../storage/store.ts';
import { messagesRepo } from '../../storage/messages.ts';
import {
  messageWriter,
  type AppendRequest,
  type MessageWriter,
} from '../../storage/messageWriter.ts';
import { visitorsRepo } from '../../storage/visitors.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { errors } from '../errors.ts';
import { maskCardNumbers } from '../../shared/cardNumbers.ts';
import { cardMasking } from '../masking/policy.ts';
import { visitorDepartments } from '../departments/offered.ts';
import { presentChat, presentMessage, presentQueue } from '../presenters.ts';
import { auditedChange } from './chatAudit.ts';
import { mayAcceptFrom, mayWrite, type ChatEvents, type Participant } from './participants.ts';
import type { RoutingService } from '../routing/routing.ts';
import type { Logger } from '../../log.ts';
import { paced } from '../pacing.ts';

const SYNC_PAGE = 500;
/** At most one queue snapshot per department in this interval (200 agents: 200 writes each). */
const QUEUE_PACE_MS = 100;

export function chatService(
  db: Store,
  events: ChatEvents,
  writer: MessageWriter = messageWriter(db),
  audit?: AuditLog,
  routing?: RoutingService,
  log?: Logger,
) {
  const chats = chatsRepo(db);
  const messages = messagesRepo(db);
  const visitors = visitorsRepo(db);
  const masking = cardMasking(db);
  const participants = chatParticipantsRepo(db);

  const estimate = (departmentId: number | null, places: number[]) =>
    routing ? routing.estimate(departmentId, places) : places.map(() => null);
  const decorate = (entries: QueueEntry[]) => (routing ? routing.decorate(entries) : entries);

  /** A chat as its people see it; while queued, its place among its department's waiting chats. */
  async function view(chat: ChatRow): Promise<ChatView> {
    if (chat.status !== 'queued') return presentChat(chat);
    const queue = await chats.queued(chat.department_id);
    const position = queue.findIndex((row) => row.id === chat.id) + 1 || null;
    const [wait] = position ? await estimate(chat.department_id, [position]) : [null];
    return presentChat(chat, position, wait);
  }

  /** One department's queue, to the agents who may accept from it and to its waiting visitors. */
  async function publishNow(departmentId: number | null): Promise<void> {
    const queue = await chats.queued(departmentId);
    const places = queue.map((_, index) => index + 1);
    const waits = await estimate(departmentId, places);
    events.queueChanged(
      await decorate(presentQueue(queue)),
      queue.map((chat, index) => ({ chat, view: presentChat(chat, index + 1, waits[index]) })),
      departmentId,
    );
  }

  // A burst of changes to one department sends its latest queue, not one snapshot per change.
  const publishQueue = paced(QUEUE_PACE_MS, publishNow, (error, departmentId) =>
    log?.error({ err: String(error), departmentId }, 'queue publish failed'),
  );

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
      // An agent who joined or monitors it (issue 14), whatever their grants say now.
      if (chat.status !== 'queued' && (await participants.roleOf(chat.id, who.agent.id)))
        return chat;
    }
    throw errors.chatNotFound();
  }

  const audited = auditedChange(db, chats, audit);

  return {
    authorize,
    view,
    publishQueue,
    /** The waiting chats this agent may accept; a position counts within its department. */
    queue: async (who: Participant & { kind: 'agent' }) =>
      decorate(presentQueue(await chats.queued()).filter((e) => mayAcceptFrom(who.grants, e))),

    async start(
      visitorId: string,
      typed: { name?: string; email?: string; question?: string; departmentId?: number },
    ) {
      // The chat carries its department from creation (issue 14): an offered one, or null.
      const departmentId = await visitorDepartments(db).choose(typed.departmentId);
      // Card numbers are masked before anything is stored or delivered (issue 6), as its department says.
      const masked = async (text?: string) =>
        text === undefined ? undefined : (await masking.inDepartment(departmentId, text)).text;
      const form = {
        name: await masked(typed.name),
        email: await masked(typed.email),
        question: await masked(typed.question),
      };
      const open = await chats.forVisitor(visitorId, ['queued', 'active']);
      if (open.length > 0) throw errors.chatAlreadyOpen();
      await visitors.saveContact(visitorId, form.name ?? null, form.email ?? null);
      const id = await chats.insert({
        visitor_id: visitorId,
        department_id: departmentId,
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
      void routing?.route(); // the offer follows on the agent's socket
      const started = await reload(id);
      void publishQueue(started.department_id);
      return view(started);
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
      const rows = await messages.since(chat.id, afterSeq, SYNC_PAGE, who.kind);
      return { chat: await view(chat), messages: rows.map(presentMessage) };
    },

    async send(who: Participant, chatId: number, clientId: string, typed: string) {
      const options = await masking.forChat(chatId);
      const body = maskCardNumbers(typed, options).text; // before storage, broadcast, logs
      // Authorized against the chat row as it is under the write lock, not as it was a moment ago.
      const { row, created, chat } = await writer.append({
        chatId,
        clientId,
        author: who.kind,
        authorAgentId: who.kind === 'agent' ? who.agent.id : null,
        authorName: who.kind === 'agent' ? who.agent.name : null,
        body,
        keepCardNumbers: !options.mask,
        check: mayWrite(who),
      });
      const message = presentMessage(row);
      if (created) events.messageAdded(chat, message); // a resend was delivered the first time
      return message;
    },

    /** Refuses (throws) unless this participant may add a message to the chat now; for uploads. */
    async checkWrite(who: Participant, chatId: number): Promise<ChatRow> {
      const chat = await chats.byId(chatId);
      const refused = mayWrite(who)(chat);
      if (refused || !chat) throw refused ?? errors.chatNotFound();
      return chat;
    },

    /** A message sharing a stored file: its body is the file's name; checked like any message. */
    async shareFile(
      who: Participant,
      chatId: number,
      clientId: string,
      file: { id: number; name: string; size: number; type: string },
    ) {
      const { row, created, chat } = await writer.append({
        chatId,
        clientId,
        author: who.kind,
        authorAgentId: who.kind === 'agent' ? who.agent.id : null,
        authorName: who.kind === 'agent' ? who.agent.name : null,
        body: file.name,
        file,
        check: mayWrite(who),
      });
      const message = presentMessage(row);
      if (created) events.messageAdded(chat, message);
      return message;
    },

    /** A system line in a chat that has not ended (e.g. "a file was blocked by the virus scanner"). */
    async notice(chatId: number, clientId: string, body: string) {
      const { row, created, chat } = await writer.append({
        chatId,
        clientId,
        author: 'system',
        authorAgentId: null,
        authorName: null,
        body,
        check: (locked) =>
          !locked ? errors.chatNotFound() : locked.status === 'ended' ? errors.chatEnded() : null,
      });
      const message = presentMessage(row);
      if (created) events.messageAdded(chat, message);
      return message;
    },

    /** A system line in the transcript (e.g. "a secure form was requested"), delivered like a message. */
    async note(chatId: number, clientId: string, body: string, check: AppendRequest['check']) {
      const appended = await writer.append({
        chatId,
        clientId,
        author: 'system',
        authorAgentId: null,
        authorName: null,
        body,
        check,
      });
      const message = presentMessage(appended.row);
      if (appended.created) events.messageAdded(appended.chat, message);
      return message;
    },

    async accept(who: Participant & { kind: 'agent' }, chatId: number) {
      const chat = await authorize(who, chatId);
      const own = (await routing?.ownOffer(chat.id, who.agent.id)) ?? null;
      let offer: ChatOfferRow | null = null;
      const done = await audited(
        who,
        chat,
        'chat.accept',
        async (repo, tx) => {
          // A chat offered to someone else is theirs until the offer ends.
          if (routing) offer = await routing.claim(tx, chat.id, who.agent.id, own);
          const taken = chat.status === 'queued' && (await repo.accept(chat.id, who.agent.id));
          if (!taken && offer) throw errors.chatNotQueued(); // rolls back closing the offer
          return taken;
        },
        { changed: { status: ['queued', 'active'] }, failure: 'not_queued' },
      );
      if (!done) throw errors.chatNotQueued();
      routing?.accepted(offer);
      const accepted = await reload(chat.id);
      const acceptedView = await view(accepted);
      events.chatChanged(accepted, acceptedView);
      void publishQueue(accepted.department_id);
      return acceptedView;
    },

    async end(who: Participant, chatId: number) {
      const chat = await authorize(who, chatId);
      if (who.kind === 'agent' && chat.agent_id !== who.agent.id) {
        throw errors.forbidden('end a chat you have not accepted');
      }
      const done = await audited(who, chat, 'chat.end', (repo) => repo.end(chat.id, who.kind), {
        changed: { status: [chat.status, 'ended'] },
        failure: 'already_ended',
      });
      if (!done) throw errors.chatEnded();
      const ended = await reload(chat.id);
      const endedView = presentChat(ended);
      events.chatChanged(ended, endedView);
      if (chat.status === 'queued') void publishQueue(chat.department_id);
      void routing?.route(); // capacity freed, or an offer of this chat to withdraw
      return endedView;
    },
  };
}

export type ChatService = ReturnType<typeof chatService>;
