import type { Knex } from 'knex';
import type { ChatStatus } from '../shared/protocol.ts';
import type { ScopeFilter } from './scope.ts';
import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface ChatRow {
  id: number;
  visitor_id: string;
  agent_id: number | null;
  department_id: number | null;
  status: ChatStatus;
  visitor_name: string | null;
  visitor_email: string | null;
  question: string | null;
  last_seq: number;
  ended_by: 'visitor' | 'agent' | 'system' | null;
  created_at: Date;
  accepted_at: Date | null;
  ended_at: Date | null;
  agent_name: string | null;
  /** The department's own name (agents see it) and the one visitors see; null without one. */
  department_name: string | null;
  department_visitor_name: string | null;
}

const columns = [
  'chats.*',
  'agents.name as agent_name',
  'departments.name as department_name',
  'departments.visitor_name as department_visitor_name',
];

export function chatsRepo(store: Store) {
  const db = knexOf(store);
  const base = () =>
    db('chats')
      .leftJoin('agents', 'agents.id', 'chats.agent_id')
      .leftJoin('departments', 'departments.id', 'chats.department_id')
      .select(columns);
  return {
    byId: (id: number): Promise<ChatRow | undefined> => base().where('chats.id', id).first(),
    /** The chat's department (null: none, or no such chat), without the join. */
    async departmentOf(id: number): Promise<number | null> {
      const row: { department_id: number | null } | undefined = await db('chats')
        .where({ id })
        .first('department_id');
      return row?.department_id ?? null;
    },
    forVisitor: (visitorId: string, statuses: ChatStatus[]): Promise<ChatRow[]> =>
      base()
        .where('chats.visitor_id', visitorId)
        .whereIn('chats.status', statuses)
        .orderBy('chats.id'),
    forAgent: (agentId: number, status: ChatStatus): Promise<ChatRow[]> =>
      base().where({ 'chats.agent_id': agentId, 'chats.status': status }).orderBy('chats.id'),
    /** Waiting chats, oldest first: all, or one department's (null: those with none). */
    queued: (departmentId?: number | null): Promise<ChatRow[]> =>
      base()
        .where('chats.status', 'queued')
        .modify((q) => {
          if (departmentId === null) void q.whereNull('chats.department_id');
          else if (departmentId !== undefined) void q.where('chats.department_id', departmentId);
        })
        .orderBy('chats.created_at')
        .orderBy('chats.id')
        .limit(500),
    async insert(
      row: Pick<
        ChatRow,
        'visitor_id' | 'department_id' | 'visitor_name' | 'visitor_email' | 'question'
      >,
    ) {
      const [id] = await db('chats').insert(row);
      return Number(id);
    },
    /** Moves a queued chat to an agent; false when someone else got there first. */
    async accept(id: number, agentId: number): Promise<boolean> {
      const changed = await db('chats')
        .where({ id, status: 'queued' })
        .update({ status: 'active', agent_id: agentId, accepted_at: db.fn.now(3) });
      return changed === 1;
    },
    async end(id: number, by: 'visitor' | 'agent' | 'system'): Promise<boolean> {
      const changed = await db('chats')
        .where({ id })
        .whereNot({ status: 'ended' })
        .update({ status: 'ended', ended_by: by, ended_at: db.fn.now(3) });
      return changed === 1;
    },
    /** Chats in progress with an agent, oldest first (the monitors' "Active chats" list). */
    active: (): Promise<ChatRow[]> =>
      base().where('chats.status', 'active').orderBy('chats.id').limit(500),
    /** Locks the chat row for this transaction (joins and transfers serialise with the writer). */
    lock: (id: number): Promise<{ status: ChatStatus; agent_id: number | null } | undefined> =>
      db('chats').where({ id }).forUpdate().first('status', 'agent_id'),
    /** Hands an active chat from one agent to another; false when it changed meanwhile. */
    async transfer(id: number, fromAgentId: number, toAgentId: number): Promise<boolean> {
      const changed = await db('chats')
        .where({ id, status: 'active', agent_id: fromAgentId })
        .update({ agent_id: toAgentId });
      return changed === 1;
    },
    /** Puts an active chat back in the queue of a department; false when it changed meanwhile. */
    async requeue(id: number, fromAgentId: number, departmentId: number): Promise<boolean> {
      const changed = await db('chats')
        .where({ id, status: 'active', agent_id: fromAgentId })
        .update({
          status: 'queued',
          agent_id: null,
          department_id: departmentId,
          accepted_at: null,
        });
      return changed === 1;
    },
    /** Ended chats, newest first, for the transcripts list. */
    transcripts(options: { before: number | null; limit: number; scope: ScopeFilter }) {
      const query: Knex.QueryBuilder = db('chats')
        .leftJoin('agents', 'agents.id', 'chats.agent_id')
        .leftJoin('departments', 'departments.id', 'chats.department_id')
        .where('chats.status', 'ended')
        .select(columns)
        .select(
          db.raw('(SELECT COUNT(*) FROM messages m WHERE m.chat_id = chats.id) AS message_count'),
        )
        .orderBy('chats.id', 'desc')
        .limit(options.limit);
      if (options.before !== null) void query.where('chats.id', '<', options.before);
      const { scope } = options;
      if (!scope.all) {
        void query.where((inScope) => {
          void inScope.whereIn('chats.department_id', scope.departmentIds);
          void inScope.orWhereIn('chats.agent_id', scope.agentIds);
        });
      }
      return query as Promise<(ChatRow & { message_count: number })[]>;
    },
  };
}
