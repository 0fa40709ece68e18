import { newClientId } from '../../app/shared/clientIds.ts';
import type { AgentMessageView } from '../../app/shared/agentChat.ts';
import type { Ack } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connected,
  signIn,
  type AgentSocket,
  type TestParley,
} from '../harness/parley.ts';

// Agents with sockets, for the agent-chat tests (issue 14).

export type Ok<T> = Extract<Ack<T>, { ok: true }>;

export function ok<T>(reply: Ack<T>): Ok<T> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}: ${reply.error.message}`);
  return reply;
}

export interface TestAgent {
  id: number;
  name: string;
  socket: AgentSocket;
  cookie: string;
  /** Every agentChat:message this socket received, in arrival order. */
  received: AgentMessageView[];
}

export function agentFactory(
  t: () => TestParley,
  db: () => Db,
  sockets: { disconnect(): unknown }[],
) {
  return async function agent(
    options: { role?: string; departments?: number[]; groups?: number[] } = {},
  ): Promise<TestAgent> {
    const { agent: row, password } = await createAgent(db(), {
      role: (options.role ?? 'agent') as 'agent',
    });
    for (const departmentId of options.departments ?? [])
      await db()('agent_departments').insert({ agent_id: row.id, department_id: departmentId });
    for (const groupId of options.groups ?? [])
      await db()('agent_group_members').insert({ agent_id: row.id, group_id: groupId });
    const cookie = await signIn(t(), row.email, password);
    const socket = connectAgent(t().url, cookie);
    sockets.push(socket);
    const received: AgentMessageView[] = [];
    socket.on('agentChat:message', (message) => received.push(message));
    await connected(socket);
    return { id: row.id, name: row.name, socket, cookie, received };
  };
}

export const send = (
  who: TestAgent,
  conversationId: number,
  body: string,
  clientId: string = newClientId(),
) => who.socket.emitWithAck('agentChat:send', { conversationId, clientId, body });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until a condition holds (live delivery is asynchronous), or fails after `ms`. */
export async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
