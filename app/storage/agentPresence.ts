import type { AgentStatus, StatusCause } from '../shared/presence.ts';
import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// agent_presence (THE status routing reads), agent_status_history, and the guarded conditions the
// periodic sweeps decide on. Every time here is the database's clock, so processes agree.

export interface PresenceRow {
  agent_id: number;
  status: AgentStatus;
  cause: StatusCause;
  changed_at: Date;
  last_activity_at: Date | null;
  disconnected_at: Date | null;
}

export interface StatusHistoryRow {
  id: number;
  agent_id: number;
  status: AgentStatus;
  previous: AgentStatus;
  cause: StatusCause;
  at: Date;
}

/** A socket row not refreshed for this long belongs to a process that stopped. */
const liveSocket = (staleMs: number) =>
  `s.agent_id = p.agent_id AND s.seen_at > NOW(3) - INTERVAL ${Math.round(staleMs)} * 1000 MICROSECOND`;

export function presenceRepo(store: Store) {
  const db = knexOf(store);
  return {
    byAgent: (agentId: number) =>
      db<PresenceRow>('agent_presence').where({ agent_id: agentId }).first(),

    /** The agent's row, created offline if missing, locked until the transaction ends. */
    async lock(agentId: number): Promise<PresenceRow> {
      const locked = () =>
        db<PresenceRow>('agent_presence').where({ agent_id: agentId }).forUpdate().first();
      const row = await locked();
      if (row) return row;
      // First visit: two processes may both get here; the second insert is ignored.
      await db.raw(
        "INSERT IGNORE INTO agent_presence (agent_id, status, cause) VALUES (?, 'offline', 'connect')",
        [agentId],
      );
      return (await locked())!;
    },

    setStatus: (agentId: number, status: AgentStatus, cause: StatusCause) =>
      db('agent_presence')
        .where({ agent_id: agentId })
        .update({ status, cause, changed_at: db.fn.now(3) }),

    setCause: (agentId: number, cause: StatusCause) =>
      db('agent_presence').where({ agent_id: agentId }).update({ cause }),

    touch: (agentId: number) =>
      db('agent_presence')
        .where({ agent_id: agentId })
        .update({ last_activity_at: db.fn.now(3) }),

    markConnected: (agentId: number) =>
      db('agent_presence')
        .where({ agent_id: agentId })
        .update({ disconnected_at: null, last_activity_at: db.fn.now(3) }),

    markDisconnected: (agentId: number) =>
      db('agent_presence')
        .where({ agent_id: agentId })
        .update({ disconnected_at: db.fn.now(3) }),

    /** Online agents whose role sets an idle limit that their last activity is past. */
    async idle(agentId?: number): Promise<number[]> {
      const query = db('agent_presence as p')
        .join('agents as a', 'a.id', 'p.agent_id')
        .join('roles as r', 'r.name', 'a.role')
        .where('p.status', 'online')
        .whereNotNull('r.away_after_minutes')
        .whereRaw(
          'COALESCE(p.last_activity_at, p.changed_at) < NOW(3) - INTERVAL ROUND(r.away_after_minutes * 60000000) MICROSECOND',
        );
      if (agentId !== undefined) void query.where('p.agent_id', agentId);
      return (await query.pluck('p.agent_id')).map(Number);
    },

    /** Agents not offline with no live socket anywhere since longer than the grace period. */
    async gone(graceSeconds: number, staleMs: number, agentId?: number): Promise<number[]> {
      const query = db('agent_presence as p')
        .whereNot('p.status', 'offline')
        .whereNotExists(db('agent_sockets as s').select(db.raw('1')).whereRaw(liveSocket(staleMs)))
        .whereRaw(
          `COALESCE(p.disconnected_at, (SELECT MAX(s.seen_at) FROM agent_sockets s WHERE s.agent_id = p.agent_id), p.changed_at)
            <= NOW(3) - INTERVAL ? SECOND`,
          [graceSeconds],
        );
      if (agentId !== undefined) void query.where('p.agent_id', agentId);
      return (await query.pluck('p.agent_id')).map(Number);
    },

    recordHistory: (row: Omit<StatusHistoryRow, 'id' | 'at'>) =>
      db('agent_status_history').insert(row),

    history: (agentId: number): Promise<StatusHistoryRow[]> =>
      db<StatusHistoryRow>('agent_status_history')
        .where({ agent_id: agentId })
        .orderBy([{ column: 'at' }, { column: 'id' }]),
  };
}

/** The live console sockets of every process (see the agent_sockets migration for why a table). */
export function agentSocketsRepo(store: Store) {
  const db = knexOf(store);
  return {
    add: (row: { socketId: string; agentId: number; sessionHash: Buffer; processId: string }) =>
      db('agent_sockets')
        .insert({
          socket_id: row.socketId,
          agent_id: row.agentId,
          session_hash: row.sessionHash,
          process_id: row.processId,
        })
        .onConflict('socket_id')
        .merge(),
    remove: (socketId: string) => db('agent_sockets').where({ socket_id: socketId }).delete(),
    /** Marks this process's sockets alive; rows of stopped processes are dropped after a while. */
    async refresh(processId: string, staleMs: number): Promise<void> {
      await db('agent_sockets')
        .where({ process_id: processId })
        .update({ seen_at: db.fn.now(3) });
      await db('agent_sockets')
        .whereRaw(`seen_at < NOW(3) - INTERVAL ${Math.round(staleMs * 10)} * 1000 MICROSECOND`)
        .delete();
    },
    /** A process stopping: its agents' sockets are gone now (their grace period starts). */
    async closeProcess(processId: string): Promise<void> {
      await db('agent_presence')
        .whereIn(
          'agent_id',
          db('agent_sockets').where({ process_id: processId }).select('agent_id'),
        )
        .whereNull('disconnected_at')
        .update({ disconnected_at: db.fn.now(3) });
      await db('agent_sockets').where({ process_id: processId }).delete();
    },
    /** Live sockets of the agent, leaving out one session's (which is being signed out). */
    async liveCount(agentId: number, staleMs: number, exceptSession?: Buffer): Promise<number> {
      const query = db('agent_sockets as s')
        .where('s.agent_id', agentId)
        .whereRaw(`s.seen_at > NOW(3) - INTERVAL ${Math.round(staleMs)} * 1000 MICROSECOND`);
      if (exceptSession) void query.whereNot('s.session_hash', exceptSession);
      const row = await query.count({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },
  };
}

/** Whether agents are online now (for chat actions: who may take a transfer or an invitation). */
export function presenceReader(store: Store) {
  const db = knexOf(store);
  return {
    async isOnline(agentId: number): Promise<boolean> {
      const row: { agent_id: number } | undefined = await db('agent_presence')
        .where({ agent_id: agentId, status: 'online' })
        .first('agent_id');
      return row !== undefined;
    },
    async onlineAgents(): Promise<number[]> {
      const rows: { agent_id: number }[] = await db('agent_presence')
        .where({ status: 'online' })
        .select('agent_id');
      return rows.map((row) => Number(row.agent_id));
    },
    /** Active agents of the department who are online now. */
    async onlineIn(departmentId: number): Promise<number[]> {
      const rows: { agent_id: number }[] = await db('agent_departments as ad')
        .join('agent_presence as p', 'p.agent_id', 'ad.agent_id')
        .join('agents as a', 'a.id', 'ad.agent_id')
        .where({ 'ad.department_id': departmentId, 'p.status': 'online', 'a.active': 1 })
        .select('ad.agent_id');
      return rows.map((row) => Number(row.agent_id));
    },
  };
}
