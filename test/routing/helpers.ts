import type { Ack } from '../../app/shared/protocol.ts';
import type { OfferClosedView, OfferView } from '../../app/shared/routing.ts';
import type { Db } from '../../app/storage/db.ts';
import { routingRulesRepo, type RoutingMode } from '../../app/storage/routingRules.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  visitorToken,
  type AgentSocket,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';

// Routing tests (issue 14): agents on one or two app processes, presence written straight into
// agent_presence (the availability capability owns it in production).

export interface RoutedAgent {
  id: number;
  socket: AgentSocket;
  offers: OfferView[];
  closed: OfferClosedView[];
  /** Runs for every offer this agent receives, on whichever console. */
  onOffer(listener: (offer: OfferView) => void): void;
}

export function ok<T>(reply: Ack<T>): Extract<Ack<T>, { ok: true }> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}: ${reply.error.message}`);
  return reply;
}

export async function setRule(
  db: Db,
  departmentId: number | null,
  mode: RoutingMode,
  options: { timeout?: number; maxRefusals?: number; capacity?: number | null } = {},
) {
  await routingRulesRepo(db).upsert(
    departmentId ?? 0,
    {
      mode,
      offer_timeout_seconds: options.timeout ?? 30,
      max_refusals: options.maxRefusals ?? 3,
      default_capacity: options.capacity ?? null,
    },
    1,
  );
}

export const setPresence = (db: Db, agentId: number, status: 'online' | 'away' | 'offline') =>
  db('agent_presence')
    // As if chosen: availability keeps a chosen status when a console (re)connects.
    .insert({ agent_id: agentId, status, cause: 'chosen', changed_at: new Date() })
    .onConflict('agent_id')
    .merge(['status', 'cause', 'changed_at']);

/**
 * An agent signed in, online, with a console on each app process given (the first acts). Until the
 * Socket.IO Redis adapter carries rooms between processes, an offer reaches only the sockets of the
 * process that decided it, so the agent listens on every process, as an agent with two tabs would.
 */
export async function routedAgent(
  processes: TestParley[],
  db: Db,
  sockets: { disconnect(): unknown }[],
  online = true,
): Promise<RoutedAgent> {
  const { agent, password } = await createAgent(db);
  const cookie = await signIn(processes[0]!, agent.email, password);
  const consoles = processes.map((t) => connectAgent(t.url, cookie));
  sockets.push(...consoles);
  await Promise.all(consoles.map(connected));
  const listeners: ((offer: OfferView) => void)[] = [];
  const routed: RoutedAgent = {
    id: agent.id,
    socket: consoles[0]!,
    offers: [],
    closed: [],
    onOffer: (listener) => listeners.push(listener),
  };
  for (const socket of consoles) {
    socket.on('offer:new', (offer) => {
      routed.offers.push(offer);
      for (const listener of listeners) listener(offer);
    });
    socket.on('offer:closed', (closed) => routed.closed.push(closed));
  }
  // Once availability has recorded the consoles (it brings a connecting agent online), set the status.
  for (const socket of consoles) await socket.emitWithAck('presence:get', {});
  await setPresence(db, agent.id, online ? 'online' : 'offline');
  return routed;
}

export async function startChat(
  t: TestParley,
  sockets: { disconnect(): unknown }[],
  name = 'Visitor',
): Promise<{ socket: VisitorSocket; chatId: number }> {
  const socket = connectVisitor(t.url, await visitorToken(t));
  sockets.push(socket);
  await connected(socket);
  const started = ok(await socket.emitWithAck('chat:start', { name }));
  return { socket, chatId: started.chat.id };
}

/** Resolves once `check` holds (polled), or rejects after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
