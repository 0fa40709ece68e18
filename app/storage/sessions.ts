import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface SessionRow {
  id_hash: Buffer;
  agent_id: number;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  ip: string;
  user_agent: string;
}

export interface SessionWithAgentRow extends SessionRow {
  agent_name: string;
  agent_email: string;
}

/** Bytes of the stored hash that make a session's public handle (never the id, never the whole hash). */
export const HANDLE_BYTES = 8;

export function sessionsRepo(store: Store) {
  const db = knexOf(store);
  const withAgent = () =>
    db<SessionWithAgentRow>('agent_sessions as s')
      .join('agents as a', 'a.id', 's.agent_id')
      .select('s.*', 'a.name as agent_name', 'a.email as agent_email');
  return {
    insert: (row: SessionRow) => db('agent_sessions').insert(row),
    byHash: (idHash: Buffer) => db<SessionRow>('agent_sessions').where({ id_hash: idHash }).first(),
    touch: (idHash: Buffer, at: Date) =>
      db('agent_sessions').where({ id_hash: idHash }).update({ last_seen_at: at }),
    remove: (idHash: Buffer) => db('agent_sessions').where({ id_hash: idHash }).delete(),
    removeForAgent: (agentId: number) => db('agent_sessions').where({ agent_id: agentId }).delete(),
    /** Ends every session of the agent but one; returns the hashes of those that ended. */
    async removeOthers(agentId: number, keep: Buffer): Promise<Buffer[]> {
      const others = (await db('agent_sessions')
        .where({ agent_id: agentId })
        .whereNot({ id_hash: keep })
        .pluck('id_hash')) as Buffer[];
      if (others.length > 0) await db('agent_sessions').whereIn('id_hash', others).delete();
      return others;
    },
    /** Live sessions (not past `now` nor idle since `idleCutoff`), newest activity first. */
    live: (now: Date, idleCutoff: Date, agentId?: number) => {
      const query = withAgent()
        .where('s.expires_at', '>', now)
        .andWhere('s.last_seen_at', '>', idleCutoff)
        .orderBy('s.last_seen_at', 'desc')
        .limit(1000);
      return (agentId === undefined ? query : query.andWhere('s.agent_id', agentId)) as Promise<
        SessionWithAgentRow[]
      >;
    },
    /** The sessions whose hash starts with the handle's bytes: a range scan of the primary key. */
    byHandle: (prefix: Buffer) =>
      db<SessionRow>('agent_sessions')
        .whereBetween('id_hash', [
          Buffer.concat([prefix, Buffer.alloc(32 - prefix.length, 0)]),
          Buffer.concat([prefix, Buffer.alloc(32 - prefix.length, 0xff)]),
        ])
        .limit(2),
    /** Deletes sessions past their absolute or idle limit; returns how many. */
    purge: (now: Date, idleCutoff: Date) =>
      db('agent_sessions')
        .where('expires_at', '<=', now)
        .orWhere('last_seen_at', '<=', idleCutoff)
        .delete(),
  };
}
