import type { Db } from './db.ts';

export interface SessionRow {
  id_hash: Buffer;
  agent_id: number;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  ip: string;
  user_agent: string;
}

export function sessionsRepo(db: Db) {
  return {
    insert: (row: SessionRow) => db('agent_sessions').insert(row),
    byHash: (idHash: Buffer) => db<SessionRow>('agent_sessions').where({ id_hash: idHash }).first(),
    touch: (idHash: Buffer, at: Date) =>
      db('agent_sessions').where({ id_hash: idHash }).update({ last_seen_at: at }),
    remove: (idHash: Buffer) => db('agent_sessions').where({ id_hash: idHash }).delete(),
    removeForAgent: (agentId: number) => db('agent_sessions').where({ agent_id: agentId }).delete(),
    /** Deletes sessions past their absolute or idle limit; returns how many. */
    purge: (now: Date, idleCutoff: Date) =>
      db('agent_sessions')
        .where('expires_at', '<=', now)
        .orWhere('last_seen_at', '<=', idleCutoff)
        .delete(),
  };
}
