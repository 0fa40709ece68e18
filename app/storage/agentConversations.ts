import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// Agent-to-agent conversations (issue 14): direct pairs and department rooms, with each agent's
// read mark. The rules (who may open or read which) are in app/domain/agentChat/.

export interface AgentConversationRow {
  id: number;
  kind: 'direct' | 'department';
  agent_low: number | null;
  agent_high: number | null;
  department_id: number | null;
  last_seq: number;
  created_at: Date;
}

/** A conversation as one agent sees it: the colleague or department as its title, their unread. */
export interface AgentConversationListRow {
  id: number;
  kind: 'direct' | 'department';
  other_id: number | null;
  department_id: number | null;
  title: string | null;
  last_seq: number;
  unread: number;
}

/** An active agent who holds chats.agent_chat (through their role, their own grant, or admin). */
export interface ColleagueRow {
  id: number;
  name: string;
  departments: number[];
}

const asNumber = (value: unknown) => (value === null ? null : Number(value));

export function agentConversationsRepo(store: Store) {
  const db = knexOf(store);
  const byKey = (where: Record<string, number>) =>
    db<AgentConversationRow>('agent_conversations').where(where).first();

  /** Inserts unless the pair or department already has one; whether this call created it. */
  async function ensure(row: Partial<AgentConversationRow>, key: Record<string, number>) {
    const [id] = await db('agent_conversations').insert(row).onConflict().ignore();
    const stored = await byKey(key);
    if (!stored) throw new Error('agent conversation vanished');
    return { row: normalize(stored), created: Number(id) > 0 && Number(id) === Number(stored.id) };
  }

  return {
    byId: async (id: number) => {
      const row = await byKey({ id });
      return row && normalize(row);
    },
    /** Locks the conversation's row until the transaction ends: writes to it are serialised. */
    lock: async (id: number): Promise<AgentConversationRow | undefined> => {
      const row = (await db('agent_conversations').where({ id }).forUpdate().first()) as
        AgentConversationRow | undefined;
      return row && normalize(row);
    },
    setLastSeq: (id: number, seq: number) =>
      db('agent_conversations').where({ id }).update({ last_seq: seq }),
    ensureDirect: (low: number, high: number) =>
      ensure(
        { kind: 'direct', agent_low: low, agent_high: high },
        { agent_low: low, agent_high: high },
      ),
    ensureDepartment: (departmentId: number) =>
      ensure({ kind: 'department', department_id: departmentId }, { department_id: departmentId }),

    /** The conversations of an agent (direct ones, and the rooms of these departments). */
    async listFor(
      agentId: number,
      departmentIds: number[],
      onlyId?: number,
    ): Promise<AgentConversationListRow[]> {
      const other = 'IF(c.agent_low = ?, c.agent_high, c.agent_low)';
      const query = db('agent_conversations as c')
        .leftJoin('agents as o', (j) =>
          j.on('o.id', '=', db.raw(other, [agentId])).andOn('c.kind', '=', db.raw('?', ['direct'])),
        )
        .leftJoin('departments as d', 'd.id', 'c.department_id')
        .leftJoin('agent_conversation_reads as r', (j) =>
          j.on('r.conversation_id', 'c.id').andOn('r.agent_id', '=', db.raw('?', [agentId])),
        )
        .where((q) => {
          void q.where('c.agent_low', agentId).orWhere('c.agent_high', agentId);
          if (departmentIds.length > 0) void q.orWhereIn('c.department_id', departmentIds);
        })
        .orderBy('c.id')
        .select(
          'c.id',
          'c.kind',
          'c.department_id',
          'c.last_seq',
          db.raw(`IF(c.kind = 'direct', ${other}, NULL) AS other_id`, [agentId]),
          db.raw('COALESCE(o.name, d.name) AS title'),
          db.raw(
            `(SELECT COUNT(*) FROM agent_messages m WHERE m.conversation_id = c.id
               AND m.seq > COALESCE(r.last_read_seq, 0) AND m.author_agent_id <> ?) AS unread`,
            [agentId],
          ),
        );
      if (onlyId !== undefined) void query.andWhere('c.id', onlyId);
      const rows = (await query) as AgentConversationListRow[];
      return rows.map((row) => ({
        ...row,
        id: Number(row.id),
        other_id: asNumber(row.other_id),
        department_id: asNumber(row.department_id),
        last_seq: Number(row.last_seq),
        unread: Number(row.unread),
      }));
    },

    /** Moves an agent's read mark forward (never back). */
    markRead: (conversationId: number, agentId: number, seq: number) =>
      db('agent_conversation_reads')
        .insert({ conversation_id: conversationId, agent_id: agentId, last_read_seq: seq })
        .onConflict(['conversation_id', 'agent_id'])
        .merge({ last_read_seq: db.raw('GREATEST(last_read_seq, VALUES(last_read_seq))') }),

    /** Active agents, but one, who hold chats.agent_chat at all, with their departments. */
    async colleagues(exceptId: number): Promise<ColleagueRow[]> {
      const rows: { id: number; name: string; departments: string | null }[] = await db(
        'agents as a',
      )
        .leftJoin('agent_departments as ad', 'ad.agent_id', 'a.id')
        .where('a.active', 1)
        .whereNot('a.id', exceptId)
        .where((q) => {
          void q.where('a.role', 'admin').orWhereExists((g) => {
            void g
              .select(db.raw('1'))
              .from('permission_grants as g')
              .where('g.permission', 'chats.agent_chat')
              .where((w) => void w.whereRaw('g.role = a.role').orWhereRaw('g.agent_id = a.id'));
          });
        })
        .groupBy('a.id', 'a.name')
        .orderBy('a.name')
        .select('a.id', 'a.name', db.raw('GROUP_CONCAT(ad.department_id) AS departments'));
      return rows.map((row) => ({
        id: Number(row.id),
        name: row.name,
        departments: row.departments ? row.departments.split(',').map(Number) : [],
      }));
    },
  };
}

function normalize(row: AgentConversationRow): AgentConversationRow {
  return {
    ...row,
    id: Number(row.id),
    agent_low: asNumber(row.agent_low),
    agent_high: asNumber(row.agent_high),
    department_id: asNumber(row.department_id),
    last_seq: Number(row.last_seq),
  };
}
