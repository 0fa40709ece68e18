import { randomUUID } from 'node:crypto';
import type { Db } from '../../app/storage/db.ts';
import { createAgent, createRole } from '../harness/factories.ts';
import { signIn, type TestParley } from '../harness/parley.ts';

// Roles, agents in departments and chats for the issue-14 canned/notifications/deletion tests.

export const role = createRole;

export async function departments(db: Db): Promise<{ cards: number; loans: number }> {
  const cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  const loans = Number((await db('departments').insert({ name: 'Loans' }))[0]);
  return { cards, loans };
}

/** An agent of a role, in departments, signed in: their id and an HTTP client with the cookie. */
export async function agentWith(
  t: TestParley,
  db: Db,
  roleName: string,
  inDepartments: number[] = [],
  name?: string,
) {
  const { agent, password } = await createAgent(db, {
    role: roleName as 'agent',
    ...(name && { name }),
  });
  for (const id of inDepartments)
    await db('agent_departments').insert({ agent_id: agent.id, department_id: id });
  const cookie = await signIn(t, agent.email, password);
  const as = {
    get: (path: string) => t.http().get(path).set('Cookie', cookie),
    post: (path: string, body: object) => t.http().post(path).set('Cookie', cookie).send(body),
    patch: (path: string, body: object) => t.http().patch(path).set('Cookie', cookie).send(body),
    put: (path: string, body: object) => t.http().put(path).set('Cookie', cookie).send(body),
    delete: (path: string) => t.http().delete(path).set('Cookie', cookie),
  };
  return { agent, password, cookie, as };
}

/** A chat straight in the database, in a department, with an agent. */
export async function chatIn(
  db: Db,
  departmentId: number | null,
  options: {
    agentId?: number | null;
    status?: 'queued' | 'active' | 'ended';
    visitorName?: string;
  } = {},
): Promise<{ chatId: number; visitorId: string }> {
  const visitorId = randomUUID();
  await db('visitors').insert({ id: visitorId });
  const status = options.status ?? 'ended';
  const [chatId] = await db('chats').insert({
    visitor_id: visitorId,
    visitor_name: options.visitorName ?? null,
    agent_id: options.agentId ?? null,
    department_id: departmentId,
    status,
    ended_at: status === 'ended' ? new Date() : null,
  });
  return { chatId: Number(chatId), visitorId };
}

export const auditOf = (db: Db, action: string) =>
  db('audit_events').where({ action }).orderBy('id').select();
