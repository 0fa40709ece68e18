import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface AgentRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  role: 'admin' | 'agent';
  must_change_password: number;
  active: number;
}

/** An agent as the admin pages list it, with the departments and groups they belong to. */
export interface AgentListRow extends AgentRow {
  created_at: Date;
  departments: number[];
  groups: number[];
}

const LISTED = ['id', 'email', 'name', 'role', 'must_change_password', 'active', 'created_at'];

export function agentsRepo(store: Store) {
  const db = knexOf(store);
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
    /** A password set (or reset) by an admin must be changed at the next sign-in. */
    setPassword: (id: number, passwordHash: string, mustChange: boolean, at: Date) =>
      db('agents')
        .where({ id })
        .update({ password_hash: passwordHash, must_change_password: mustChange, updated_at: at }),
    /** Agents by name (or one agent), each with their departments and groups. */
    async listed(id?: number): Promise<AgentListRow[]> {
      const query = db('agents').orderBy('name').select(LISTED);
      const rows = (await (id === undefined ? query : query.where({ id }))) as AgentRow[];
      const ids = rows.map((row) => row.id);
      const [departments, groups] = (await Promise.all([
        db('agent_departments').whereIn('agent_id', ids).select('agent_id', 'department_id as id'),
        db('agent_group_members').whereIn('agent_id', ids).select('agent_id', 'group_id as id'),
      ])) as { agent_id: number; id: number }[][];
      const of = (links: { agent_id: number; id: number }[], agentId: number) =>
        links
          .filter((link) => Number(link.agent_id) === Number(agentId))
          .map((link) => Number(link.id))
          .sort((a, b) => a - b);
      return rows.map((row) => ({
        ...(row as AgentListRow),
        departments: of(departments!, row.id),
        groups: of(groups!, row.id),
      }));
    },
    /** A new account (the email already lower-cased and checked free); its id. */
    async create(
      agent: Pick<AgentRow, 'email' | 'name' | 'role' | 'password_hash'>,
    ): Promise<number> {
      const [id] = await db('agents').insert({ ...agent, must_change_password: true });
      return Number(id);
    },
    update: (id: number, columns: Partial<Pick<AgentRow, 'email' | 'name' | 'role' | 'active'>>) =>
      db('agents')
        .where({ id })
        .update({ ...columns, updated_at: new Date() }),
    /** Locks the other active administrators' rows; how many there are. */
    async lockActiveAdminsOtherThan(role: string, id: number): Promise<number> {
      const ids = await db('agents')
        .where({ role, active: true })
        .whereNot({ id })
        .forUpdate()
        .pluck('id');
      return ids.length;
    },
    /** Locks the agent's row until the transaction ends (serialises changes to one account). */
    lock: (id: number) => db('agents').where({ id }).forUpdate().first('id'),
    async createdAt(id: number): Promise<Date | null> {
      const row: { created_at: Date } | undefined = await db('agents')
        .where({ id })
        .first('created_at');
      return row?.created_at ?? null;
    },
  };
}
