import type { Db } from './db.ts';

export interface AgentRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  role: 'admin' | 'agent';
  must_change_password: number;
  active: number;
}

export function agentsRepo(db: Db) {
  return {
    byEmail: (email: string) =>
      db<AgentRow>('agents').where({ email: email.toLowerCase() }).first(),
    byId: (id: number) => db<AgentRow>('agents').where({ id }).first(),
    count: async () => Number((await db('agents').count({ n: '*' }).first())?.n ?? 0),
    async insert(agent: Omit<AgentRow, 'id' | 'active'>): Promise<number> {
      const [id] = await db('agents').insert({ ...agent, email: agent.email.toLowerCase() });
      return Number(id);
    },
    updatePasswordHash: (id: number, passwordHash: string) =>
      db('agents')
        .where({ id })
        .update({ password_hash: passwordHash, updated_at: db.fn.now(3) }),
  };
}
