import { knexOf } from './db.ts';
import type { Store } from './store.ts';

/** A waiting chat that no agent is being offered, with how many offers of it were declined. */
export interface WaitingChatRow {
  id: number;
  department_id: number | null;
  created_at: Date;
  visitor_name: string | null;
  question: string | null;
  declines: number;
}

/** An online agent with what routing needs: load (active chats + open offers) and idle time. */
export interface CandidateRow {
  agent_id: number;
  role: string;
  /** The role's default capacity (roles.default_capacity); null: none. */
  role_capacity: number | null;
  active_chats: number;
  open_offers: number;
  last_offer_at: Date | null;
}

export interface AcceptGrantRow {
  role: string | null;
  agent_id: number | null;
  scope: 'all' | 'departments' | 'groups';
  scope_ids: number[];
}

const ids = (raw: unknown): number[] => {
  const value: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  return Array.isArray(value) ? value.map(Number).filter(Number.isInteger) : [];
};

/** The reads a routing decision makes, all inside the transaction that holds the routing lock. */
export function routingStateRepo(store: Store) {
  const db = knexOf(store);
  return {
    /**
     * One department's waiting chats (null: no department), oldest first: none under offer, none
     * refused or left unanswered `maxDeclines` times (those wait in the manual queue).
     */
    async waiting(departmentId: number | null, maxDeclines: number, limit: number) {
      const declines =
        "(SELECT COUNT(*) FROM chat_offers d WHERE d.chat_id = c.id AND d.outcome IN ('refused','timed_out'))";
      const rows: WaitingChatRow[] = await db('chats as c')
        .where('c.status', 'queued')
        .modify((q) => {
          if (departmentId === null) void q.whereNull('c.department_id');
          else void q.where('c.department_id', departmentId);
        })
        .whereNotExists(
          db('chat_offers as o')
            .whereRaw('o.chat_id = c.id')
            .whereNull('o.outcome')
            .select(db.raw('1')),
        )
        .whereRaw(`${declines} < ?`, [maxDeclines])
        .orderBy('c.created_at')
        .orderBy('c.id')
        .limit(limit)
        .select(
          'c.id',
          'c.department_id',
          'c.created_at',
          'c.visitor_name',
          'c.question',
          db.raw(`${declines} AS declines`),
        );
      return rows.map((row) => ({
        ...row,
        id: Number(row.id),
        department_id: row.department_id === null ? null : Number(row.department_id),
        declines: Number(row.declines),
      }));
    },
    async candidates(): Promise<CandidateRow[]> {
      // One grouped read per measure for the online agents only, instead of three correlated
      // subqueries per agent (600 index dives with 200 agents online: most of a decision's time).
      const online = db('agent_presence').where('status', 'online').select('agent_id');
      const rows: CandidateRow[] = await db('agent_presence as p')
        .join('agents as a', 'a.id', 'p.agent_id')
        .leftJoin('roles as r', 'r.name', 'a.role')
        .leftJoin(
          db('chats')
            .where('status', 'active')
            .whereIn('agent_id', online.clone())
            .groupBy('agent_id')
            .select('agent_id', db.raw('COUNT(*) AS n'))
            .as('ac'),
          'ac.agent_id',
          'p.agent_id',
        )
        .leftJoin(
          db('chat_offers')
            .whereNull('outcome')
            .groupBy('agent_id')
            .select('agent_id', db.raw('COUNT(*) AS n'))
            .as('oo'),
          'oo.agent_id',
          'p.agent_id',
        )
        .leftJoin(
          db('chat_offers')
            .whereIn('agent_id', online.clone())
            .groupBy('agent_id')
            .select('agent_id', db.raw('MAX(offered_at) AS at'))
            .as('lo'),
          'lo.agent_id',
          'p.agent_id',
        )
        .where({ 'p.status': 'online', 'a.active': 1 })
        .select(
          'p.agent_id',
          'a.role',
          'r.default_capacity as role_capacity',
          db.raw('COALESCE(ac.n, 0) AS active_chats'),
          db.raw('COALESCE(oo.n, 0) AS open_offers'),
          'lo.at as last_offer_at',
        );
      return rows.map((row) => ({
        ...row,
        agent_id: Number(row.agent_id),
        role_capacity: row.role_capacity === null ? null : Number(row.role_capacity),
        active_chats: Number(row.active_chats),
        open_offers: Number(row.open_offers),
      }));
    },
    /** The chats.accept grants of these agents and roles. */
    async acceptGrants(agentIds: number[], roles: string[]): Promise<AcceptGrantRow[]> {
      if (agentIds.length === 0) return [];
      const rows: (Omit<AcceptGrantRow, 'scope_ids'> & { scope_ids: unknown })[] = await db(
        'permission_grants',
      )
        .where({ permission: 'chats.accept' })
        .where((q) => void q.whereIn('agent_id', agentIds).orWhereIn('role', roles))
        .select('role', 'agent_id', 'scope', 'scope_ids');
      return rows.map((row) => ({
        ...row,
        agent_id: row.agent_id === null ? null : Number(row.agent_id),
        scope_ids: ids(row.scope_ids),
      }));
    },
    /** Chats taken in a department (null: none) over the last `seconds`, for the estimated wait. */
    async acceptedSince(departmentId: number | null, seconds: number): Promise<number> {
      const query = db('chats')
        .whereNotNull('accepted_at')
        .where('accepted_at', '>=', db.raw('NOW(3) - INTERVAL ? SECOND', [seconds]));
      if (departmentId === null) void query.whereNull('department_id');
      else void query.where('department_id', departmentId);
      const row = (await query.count({ n: '*' }).first()) as { n: number } | undefined;
      return Number(row?.n ?? 0);
    },
    async departmentOfChat(chatId: number): Promise<number | null> {
      const row: { department_id: number | null } | undefined = await db('chats')
        .where({ id: chatId })
        .first('department_id');
      return row?.department_id == null ? null : Number(row.department_id);
    },
    async departmentIds(): Promise<number[]> {
      return (await db('departments').pluck('id')).map(Number);
    },
  };
}
