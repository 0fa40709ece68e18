import type { Ack } from '../../app/shared/protocol.ts';
import type { PresenceView, StatusCause } from '../../app/shared/presence.ts';
import type { Db } from '../../app/storage/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connected,
  nextEvent,
  signIn,
  type AgentSocket,
  type TestParley,
} from '../harness/parley.ts';

// Helpers of the availability tests (issue 14): agents with sockets, history and audit reads.

/** Short grace and sweep so the tests run in seconds. */
export const FAST_PRESENCE = {
  PARLEY_PRESENCE_GRACE_SECONDS: '1',
  PARLEY_PRESENCE_SWEEP_MS: '150',
  PARLEY_HTTP_REDIRECT: 'false',
};

export function ok<T>(reply: Ack<T>): Extract<Ack<T>, { ok: true }> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}: ${reply.error.message}`);
  return reply;
}

export interface SignedInAgent {
  id: number;
  email: string;
  cookie: string;
}

export async function signedInAgent(
  db: Db,
  t: TestParley,
  role = 'agent',
  departments: number[] = [],
): Promise<SignedInAgent> {
  const { agent, password } = await createAgent(db, { role: role as 'agent' });
  for (const id of departments)
    await db('agent_departments').insert({ agent_id: agent.id, department_id: id });
  return { id: agent.id, email: agent.email, cookie: await signIn(t, agent.email, password) };
}

/** A console socket, connected, with its status recorded as online (or kept) by the server. */
export async function consoleSocket(
  t: TestParley,
  agent: SignedInAgent,
  sockets: AgentSocket[],
): Promise<AgentSocket> {
  const socket = connectAgent(t.url, agent.cookie);
  sockets.push(socket);
  await connected(socket);
  // Answered once the server has recorded the connection (and its status change, if any).
  ok(await socket.emitWithAck('presence:get', {}));
  return socket;
}

export interface HistoryEntry {
  status: string;
  previous: string;
  cause: StatusCause;
}

export async function history(db: Db, agentId: number): Promise<HistoryEntry[]> {
  return db('agent_status_history')
    .where({ agent_id: agentId })
    .orderBy('id')
    .select('status', 'previous', 'cause');
}

export async function statusAudit(db: Db, agentId: number) {
  const rows: { actor_kind: string; details: string | object }[] = await db('audit_events')
    .where({ action: 'agent.status', target_id: String(agentId) })
    .orderBy('id')
    .select('actor_kind', 'details');
  return rows.map((row) => ({
    actorKind: row.actor_kind,
    details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as {
      status: string[];
      cause: string;
    },
  }));
}

/** Polls until the agent's history has `count` entries (or fails with what it has). */
export async function historyReaches(
  db: Db,
  agentId: number,
  count: number,
  ms = 6000,
): Promise<HistoryEntry[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = await history(db, agentId);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const presenceIs = (socket: AgentSocket, status: string, ms = 6000) =>
  nextEvent<PresenceView>(socket, 'presence:mine', (view) => view.status === status, ms);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
