// Routing bench (issue 14): p99 from a visitor's `chat:start` to the offer reaching an agent's
// socket, with 200 online agents and 2,000 chats waiting. The server runs in its own process
// (routingServer.ts); `node test/bench/routing.ts` runs this part alone.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { OfferView } from '../../app/shared/routing.ts';
import { connectAgent, connectVisitor, connected, type AgentSocket } from '../harness/parley.ts';
import { repoRoot } from '../harness/config.ts';
import { startServer } from './child.ts';
import { writeJson } from './report.ts';
import { parleyTarget } from './clients.ts';
import { summarize, table, type Summary } from './stats.ts';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const AGENTS = setting('BENCH_ROUTING_AGENTS', 200);
const WAITING = setting('BENCH_ROUTING_WAITING', 2000);
/** Measured chats: fewer than the agents' free places (200 × 5), so every one is offered. */
const CHATS = setting('BENCH_ROUTING_CHATS', 400);
/** Chats started at once (visitors arriving together). */
const CONCURRENCY = 4;
const GOAL_P99_MS = 20;
const transport = { transports: ['websocket'] };

export interface RoutingBenchResult {
  agents: number;
  waiting: number;
  chats: number;
  concurrency: number;
  /** chat:start emitted → offer:new received by the agent (ms). */
  offer: Summary;
  goalP99Ms: number;
  offeredTwice: number;
}

async function eachLimited(count: number, limit: number, work: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

export async function routingBench(): Promise<RoutingBenchResult> {
  process.stderr.write('bench: starting routing server\n');
  const server = await startServer(
    'routing',
    'routingServer.ts',
    [String(AGENTS), String(WAITING)],
    180_000,
  );
  const target = parleyTarget(server.ready);
  const agents: AgentSocket[] = [];
  const sockets: { disconnect(): unknown }[] = [];
  const startedAt = new Map<string, number>();
  const latency: number[] = [];
  const seen = new Set<number>();
  const waiters = new Map<string, () => void>();
  let offeredTwice = 0;
  const onOffer = (offer: OfferView) => {
    const now = performance.now();
    if (process.env.BENCH_ROUTING_DEBUG) process.stderr.write(`offer ${JSON.stringify(offer)}\n`);
    if (seen.has(offer.chatId)) {
      offeredTwice += 1; // accepted at once, a chat is never offered again
      return;
    }
    seen.add(offer.chatId);
    const began = offer.visitorName ? startedAt.get(offer.visitorName) : undefined;
    if (began !== undefined) latency.push(now - began);
    if (offer.visitorName) waiters.get(offer.visitorName)?.();
  };
  try {
    await eachLimited(AGENTS, 8, async (i) => {
      const socket = connectAgent(target.url, await target.agentCookie(i), transport);
      agents[i] = socket;
      sockets.push(socket);
      await connected(socket);
      socket.on('offer:new', (offer) => {
        onOffer(offer);
        // The agent takes it (after the measurement point), as a console would on a click.
        socket.emitWithAck('chat:accept', { chatId: offer.chatId }).catch(() => undefined);
      });
    });
    // Tokens first: the measured loop is the socket path only.
    const tokens: string[] = [];
    await eachLimited(CHATS, 8, async (i) => {
      tokens[i] = await target.visitorToken();
    });
    process.stderr.write(`bench: routing ${CHATS} chats, ${CONCURRENCY} at a time\n`);
    await eachLimited(CHATS, CONCURRENCY, async (i) => {
      const visitor = connectVisitor(target.url, tokens[i]!, transport);
      sockets.push(visitor);
      await connected(visitor);
      const name = `Routed ${i}`;
      startedAt.set(name, performance.now());
      const offered = new Promise<void>((resolve) => waiters.set(name, resolve));
      const reply = await visitor.emitWithAck('chat:start', { name });
      if (!reply.ok) throw new Error(`chat:start: ${reply.error.id}`);
      // Closed loop: each visitor's chat is offered before that worker starts the next one.
      await Promise.race([offered, new Promise((resolve) => setTimeout(resolve, 5000))]);
      visitor.disconnect();
    });
  } finally {
    for (const socket of sockets) socket.disconnect();
    await server.stop();
  }
  return {
    agents: AGENTS,
    waiting: WAITING,
    chats: CHATS,
    concurrency: CONCURRENCY,
    offer: summarize(latency),
    goalP99Ms: GOAL_P99_MS,
    offeredTwice,
  };
}

export function renderRoutingBench(result: RoutingBenchResult): string {
  const { offer } = result;
  return [
    `Routing: ${result.agents} online agents, ${result.waiting} chats waiting (manual department); ` +
      `${result.chats} chats started ${result.concurrency} at a time, round robin`,
    table(
      ['figure', 'offers', 'p50 ms', 'p99 ms', 'max ms', 'goal p99', 'offered twice'],
      [
        [
          'chat:start → offer:new',
          `${offer.count}/${result.chats}`,
          offer.p50,
          offer.p99,
          offer.max,
          `≤ ${result.goalP99Ms}`,
          result.offeredTwice,
        ],
      ],
    ),
  ].join('\n');
}

// Run alone: `node test/bench/routing.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await routingBench();
  const path = writeJson(`${repoRoot}test-results`, 'bench-routing.json', {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() },
    routing: result,
  });
  process.stdout.write(`${renderRoutingBench(result)}\nfigures in ${path}\n`);
  process.exit(0);
}
