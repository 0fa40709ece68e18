import type { AuthorKind } from '../shared/protocol.ts';
import { chatParticipantsRepo, type ParticipantRole } from './chatParticipants.ts';
import { AUTHOR_NAME, FILE_COLUMNS, type MessageRow } from './messages.ts';
import { knexOf } from './db.ts';
import type { Store } from './store.ts';

/** The chat columns a write is checked against, read under the row lock. */
export interface LockedChat {
  id: number;
  visitor_id: string;
  visitor_name: string | null;
  agent_id: number | null;
  status: 'queued' | 'active' | 'ended';
  last_seq: number;
  /**
   * The agents who currently joined or monitor it, read under the same lock — filled only for
   * chats where an agent other than the owner writes in this batch (others never need it).
   */
  participants: { agentId: number; role: ParticipantRole }[];
}

export interface AppendRequest {
  chatId: number;
  clientId: string;
  author: AuthorKind;
  authorAgentId: number | null;
  authorName: string | null;
  body: string;
  /** A shared file (already stored): the message points at it. */
  file?: { id: number; name: string; size: number; type: string };
  /** The body keeps card numbers as typed: its department's admin switched masking off (issue 6). */
  keepCardNumbers?: boolean;
  /** Only agents see it: a whisper or a transfer note (issue 14). */
  internal?: boolean;
  /** Returns the error to answer with when this writer may not write to the chat as it now is. */
  check(chat: LockedChat | undefined): Error | null;
}

export interface AppendResult {
  row: MessageRow;
  created: boolean;
  chat: LockedChat;
}

interface Pending {
  request: AppendRequest;
  /** performance.now() when it entered the writer: its commit latency is measured from here. */
  entered: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 500;

/** A resend whose client id belongs to a message of another audience (a whisper and a reply). */
export class ClientIdConflict extends Error {
  constructor() {
    super('client id used by another message');
  }
}

/** Told after each commit: for every new message, seconds from entering the writer to the commit. */
export type CommitObserver = (latencies: number[]) => void;

/**
 * Group commit: messages that arrive while a batch is being written wait for the next one, and a
 * batch is one transaction — lock the chats, find resends, insert, bump each chat's counter.
 * Nothing is acknowledged before its transaction commits.
 */
export function messageWriter(store: Store, observe?: CommitObserver) {
  const db = knexOf(store);
  let queue: Pending[] = [];
  let writing = false;

  async function writeBatch(batch: Pending[]): Promise<Map<Pending, AppendResult | Error>> {
    const outcome = new Map<Pending, AppendResult | Error>();
    await db.transaction(async (trx) => {
      outcome.clear();
      const chatIds = [...new Set(batch.map((p) => p.request.chatId))].sort((a, b) => a - b);
      const chats = new Map<number, LockedChat>(
        (
          (await trx('chats')
            .whereIn('id', chatIds)
            .select('id', 'visitor_id', 'visitor_name', 'agent_id', 'status', 'last_seq')
            .forUpdate()) as LockedChat[]
        ).map((chat) => [chat.id, { ...chat, participants: [] }]),
      );
      // One more read per batch, and only when an agent writes in a chat they do not own.
      const joinedChats = batch
        .map((p) => p.request)
        .filter(
          (r) => r.authorAgentId !== null && chats.get(r.chatId)?.agent_id !== r.authorAgentId,
        )
        .map((r) => r.chatId);
      for (const row of await chatParticipantsRepo(trx).currentIn([...new Set(joinedChats)])) {
        if (row.role === 'owner') continue;
        chats
          .get(Number(row.chat_id))
          ?.participants.push({ agentId: Number(row.agent_id), role: row.role });
      }
      const stored = new Map<string, MessageRow>();
      const key = (chatId: number, clientId: string) => `${chatId}\u0000${clientId}`;
      const existing: MessageRow[] = await trx<MessageRow>('messages')
        .leftJoin('agents', 'agents.id', 'messages.author_agent_id')
        .join('chats', 'chats.id', 'messages.chat_id')
        .leftJoin('files', 'files.id', 'messages.file_id')
        .whereIn('messages.chat_id', chatIds)
        .whereIn('messages.client_id', [...new Set(batch.map((p) => p.request.clientId))])
        .select('messages.*', trx.raw(AUTHOR_NAME), ...FILE_COLUMNS);
      for (const row of existing) stored.set(key(row.chat_id, row.client_id), row);

      const inserts: MessageRow[] = [];
      const kept = new Set<MessageRow>();
      const now = new Date();
      for (const pending of batch) {
        const { request } = pending;
        const chat = chats.get(request.chatId);
        const previous = stored.get(key(request.chatId, request.clientId));
        if (chat && previous) {
          // A resend answers with the stored message, never with another audience's (whispers).
          outcome.set(
            pending,
            Boolean(previous.internal) === Boolean(request.internal)
              ? { row: previous, created: false, chat }
              : new ClientIdConflict(),
          );
          continue;
        }
        const refused = request.check(chat);
        if (refused || !chat) {
          outcome.set(pending, refused ?? new Error('chat vanished'));
          continue;
        }
        chat.last_seq += 1;
        const row: MessageRow = {
          id: 0,
          chat_id: chat.id,
          seq: chat.last_seq,
          client_id: request.clientId,
          author_kind: request.author,
          author_agent_id: request.authorAgentId,
          body: request.body,
          created_at: now,
          author_name: request.author === 'visitor' ? chat.visitor_name : request.authorName,
          file_id: request.file?.id ?? null,
          internal: request.internal === true,
          file_name: request.file?.name ?? null,
          file_size: request.file?.size ?? null,
          file_type: request.file?.type ?? null,
        };
        stored.set(key(chat.id, request.clientId), row);
        inserts.push(row);
        if (request.keepCardNumbers) kept.add(row);
        outcome.set(pending, { row, created: true, chat });
      }
      if (inserts.length === 0) return;
      // Rows are masked in place by the storage boundary, so what is acknowledged is what is stored.
      const columns = ({
        id: _id,
        author_name: _name,
        file_name: _fileName,
        file_size: _fileSize,
        file_type: _fileType,
        ...rest
      }: MessageRow) => rest;
      const masked = inserts.filter((row) => !kept.has(row));
      const keptRows = inserts.filter((row) => kept.has(row));
      for (const [rows, context] of [
        [masked, {}],
        [keptRows, { keepCardNumbers: ['body'] }],
      ] as const) {
        if (rows.length === 0) continue;
        const values = rows.map(columns);
        await trx('messages').insert(values).queryContext(context);
        values.forEach((value, i) => (rows[i]!.body = value.body));
      }
      const touched = [...new Set(inserts.map((row) => row.chat_id))];
      await trx('chats')
        .whereIn('id', touched)
        .update({
          last_seq: trx.raw(
            `CASE id ${touched.map(() => 'WHEN ? THEN ?').join(' ')} END`,
            touched.flatMap((id) => [id, chats.get(id)!.last_seq]),
          ),
        });
    });
    return outcome;
  }

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        const outcome = await writeBatch(batch);
        if (observe) observeCommit(batch, outcome, observe);
        for (const pending of batch) {
          const result = outcome.get(pending)!;
          if (result instanceof Error) pending.reject(result);
          else pending.resolve(result);
        }
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    writing = false;
  }

  return {
    append(request: AppendRequest): Promise<AppendResult> {
      return new Promise((resolve, reject) => {
        queue.push({ request, entered: performance.now(), resolve, reject });
        // Let the handlers of this I/O turn join the batch before it starts.
        if (!writing && queue.length === 1) setImmediate(() => void drain());
      });
    },
  };
}

export type MessageWriter = ReturnType<typeof messageWriter>;

function observeCommit(
  batch: Pending[],
  outcome: Map<Pending, AppendResult | Error>,
  observe: CommitObserver,
): void {
  const committed = performance.now();
  const latencies: number[] = [];
  for (const pending of batch) {
    const result = outcome.get(pending);
    if (result && !(result instanceof Error) && result.created)
      latencies.push((committed - pending.entered) / 1000);
  }
  if (latencies.length > 0) observe(latencies);
}
