import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { newClientId } from '../../../app/shared/clientIds.ts';
import type { Socket } from 'socket.io-client';
import type { ChatActionClientEvents } from '../../../app/shared/chatActions.ts';
import type { Permission } from '../../../app/shared/permissions.ts';
import type {
  Ack,
  AgentClientEvents,
  AgentServerEvents,
  MessageView,
} from '../../../app/shared/protocol.ts';
import type { AgentRow } from '../../../app/storage/agents.ts';
import type { Db } from '../../../app/storage/db.ts';
import { testDb, truncateAll } from '../../harness/db.ts';
import { createAgent } from '../../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  nextEvent,
  signIn,
  startTestParley,
  visitorToken,
  type TestParley,
  type VisitorSocket,
} from '../../harness/parley.ts';

// Agents with chosen grants, online or not, a visitor whose every event is recorded, and a chat
// in progress between them: what the chat-action tests (issue 14) build on.

export type ActionSocket = Socket<AgentServerEvents, AgentClientEvents & ChatActionClientEvents>;
export type Ok<T> = Extract<Ack<T>, { ok: true }>;

export function ok<T>(reply: Ack<T>): Ok<T> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}: ${reply.error.message}`);
  return reply;
}

export interface TestAgent {
  row: AgentRow;
  socket: ActionSocket;
  cookie: string;
  /** Every event this socket received, in order. */
  events: { event: string; payload: unknown }[];
}

interface AuditEntryRow {
  actor_id: number;
  outcome: string;
  details: unknown;
  department_id: number | null;
}

export interface RecordedVisitor {
  socket: VisitorSocket;
  /** Every event this visitor's socket received, in order, as sent. */
  events: { event: string; payload: unknown }[];
}

export function actionsWorld(t: () => TestParley, db: () => Db) {
  const sockets: { disconnect(): unknown }[] = [];
  let roles = 0;

  async function role(grants: { permission: Permission; departments?: number[] }[]) {
    const name = `actions_role_${++roles}_${randomUUID().slice(0, 8)}`;
    await db()('roles').insert({ name, description: name });
    for (const grant of grants) {
      await db()('permission_grants').insert({
        permission: grant.permission,
        role: name,
        scope: grant.departments ? 'departments' : 'all',
        scope_ids: grant.departments ? JSON.stringify(grant.departments) : null,
      });
    }
    return name;
  }

  async function connectAs(row: AgentRow, password: string): Promise<TestAgent> {
    const cookie = await signIn(t(), row.email, password);
    const socket = connectAgent(t().url, cookie) as unknown as ActionSocket;
    sockets.push(socket);
    const events: TestAgent['events'] = [];
    socket.onAny((event: string, payload: unknown) => events.push({ event, payload }));
    await connected(socket);
    return { row, socket, cookie, events };
  }

  const passwords = new Map<number, string>();

  return {
    sockets,
    role,
    connectAs,
    passwordOf: (agent: TestAgent) => Promise.resolve(passwords.get(agent.row.id)),
    /** An agent with these grants, in these departments, online unless told otherwise. */
    async agent(
      grants: { permission: Permission; departments?: number[] }[],
      options: { departments?: number[]; online?: boolean; name?: string } = {},
    ): Promise<TestAgent & { password: string }> {
      const { agent, password } = await createAgent(db(), {
        role: (await role(grants)) as 'agent',
        ...(options.name ? { name: options.name } : {}),
      });
      passwords.set(agent.id, password);
      for (const id of options.departments ?? [])
        await db()('agent_departments').insert({ agent_id: agent.id, department_id: id });
      await db()('agent_presence').insert({
        agent_id: agent.id,
        status: options.online === false ? 'offline' : 'online',
        // Connected yet offline: only by choice (availability brings anyone else online on connect).
        cause: options.online === false ? 'chosen' : 'connect',
      });
      return { ...(await connectAs(agent, password)), password };
    },
    async visitor(): Promise<RecordedVisitor> {
      const socket = connectVisitor(t().url, await visitorToken(t()));
      sockets.push(socket);
      const events: RecordedVisitor['events'] = [];
      socket.onAny((event: string, payload: unknown) => events.push({ event, payload }));
      await connected(socket);
      return { socket, events };
    },
    /** A chat the owner accepted, in this department. */
    async activeChat(owner: TestAgent, visitor: RecordedVisitor, departmentId: number | null) {
      const started = ok(await visitor.socket.emitWithAck('chat:start', { name: 'Ada' }));
      await db()('chats').where({ id: started.chat.id }).update({ department_id: departmentId });
      ok(await owner.socket.emitWithAck('chat:accept', { chatId: started.chat.id }));
      return started.chat.id;
    },
    send: (socket: ActionSocket | VisitorSocket, chatId: number, body: string) =>
      (socket as VisitorSocket).emitWithAck('message:send', {
        chatId,
        clientId: newClientId(),
        body,
      }),
    whisper: (socket: ActionSocket, chatId: number, body: string, clientId = newClientId()) =>
      socket.emitWithAck('message:whisper', { chatId, clientId, body }),
    message: (socket: ActionSocket | VisitorSocket, match: (m: MessageView) => boolean) =>
      nextEvent<MessageView>(socket as never, 'message:new', match),
    /** The audit entries of an action on a chat, oldest first. */
    async audit(action: string, chatId: number) {
      const rows: AuditEntryRow[] = await db()('audit_events')
        .where({ action, target_kind: 'chat', target_id: String(chatId) })
        .orderBy('id')
        .select('actor_id', 'outcome', 'details', 'department_id');
      return rows.map((row) => ({
        ...row,
        actor_id: Number(row.actor_id),
        details: (typeof row.details === 'string'
          ? JSON.parse(row.details)
          : row.details) as Record<string, unknown>,
      }));
    },
    disconnectAll() {
      for (const socket of sockets.splice(0)) socket.disconnect();
    },
  };
}

/** Waits long enough for a live event that should not come to have arrived if it were sent. */
export const quietPeriod = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A chat-action test file's life cycle: one Parley for the file; before each test a clean database
 * with the departments Cards and Loans; after each, every socket the world opened is closed.
 */
export function actionsSuite() {
  const suite = {} as { t: TestParley; db: Db; cards: number; loans: number };
  const world = actionsWorld(
    () => suite.t,
    () => suite.db,
  );
  beforeAll(async () => {
    suite.db = testDb();
    suite.t = await startTestParley();
  });
  afterAll(async () => {
    await suite.t.close();
    await suite.db.destroy();
  });
  beforeEach(async () => {
    await truncateAll(suite.db);
    await suite.db('roles').whereNotIn('name', ['admin', 'agent']).delete();
    suite.cards = Number((await suite.db('departments').insert({ name: 'Cards' }))[0]);
    suite.loans = Number((await suite.db('departments').insert({ name: 'Loans' }))[0]);
  });
  afterEach(() => world.disconnectAll());
  return { suite, world };
}
