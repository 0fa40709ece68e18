// `npm run bench`: Parley vs a bare Socket.IO relay under the same load, in one run.
// See test/bench/README.md for what is measured and how to read it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../harness/config.ts';
import { startServer, stopAllServers, type Ready } from './child.ts';
import { fileBench, renderFileBench } from './files.ts';
import { renderRoutingBench, routingBench } from './routing.ts';
import { bareTarget, connectFleet, parleyTarget, type Fleet, type Target } from './clients.ts';
import { runPhase, type PhaseSpec } from './load.ts';
import { mariadbPid, probe, usage, type Probe, type Sample } from './probe.ts';
import { keptUp, ratios, render, writeJson, type TargetRun } from './report.ts';

const CHATS = 200;
const AGENTS = 10;
const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const WARMUP_MS = setting('BENCH_WARMUP_MS', 1000);
const MEASURE_MS = setting('BENCH_MEASURE_MS', 5000);
const WINDOW = setting('BENCH_WINDOW', 4);
const RATES = (process.env.BENCH_RATES ?? '1000,10000')
  .split(',')
  .map(Number)
  .filter((rate) => rate > 0);
const RUN_LIMIT_MS = 4 * 60_000;

// The open-loop in-flight limit is 5 unacknowledged messages per chat, near the closed loop's window:
// past it a client would wait; the skipped sends are counted as offered load not carried.
const timing = {
  warmupMs: WARMUP_MS,
  measureMs: MEASURE_MS,
  drainMs: 20_000,
  maxInFlight: 5 * CHATS,
};
const PHASES: PhaseSpec[] = [
  ...RATES.map((rate): PhaseSpec => ({
    name: `${rate >= 1000 ? `${rate / 1000}k` : rate} msg/s`,
    load: { kind: 'rate', rate },
    ...timing,
  })),
  { name: `max (${WINDOW}/chat)`, load: { kind: 'window', window: WINDOW }, ...timing },
];

/** The private MariaDB and clamd (idempotent), and the dev environment files if missing. */
function ensureServices(): void {
  const run = (script: string, ...args: string[]) =>
    execFileSync('bash', [`${repoRoot}ops/dev/${script}`, ...args], { stdio: ['ignore', 2, 2] });
  if (!existsSync(`${repoRoot}.parley/parley.env`)) run('env.sh');
  if (!existsSync(`${repoRoot}.parley/tls/ca.crt`)) run('tls.sh');
  if (!existsSync(`${repoRoot}.parley/secrets/secret_key`)) run('secrets.sh');
  run('services.sh', 'start');
}

interface Contender {
  run: TargetRun;
  fleet: Fleet;
  sampler: Probe;
}

/** Starts a server in its own process and connects the 200 chats to it. */
async function prepare(
  target: 'parley' | 'bare',
  entry: string,
  makeTarget: (ready: Ready) => Target,
): Promise<Contender> {
  process.stderr.write(`bench: starting ${target}\n`);
  const server = await startServer(target, entry, [String(AGENTS)]);
  const setupStart = performance.now();
  const fleet = await connectFleet(makeTarget(server.ready), CHATS, AGENTS);
  const setupMs = Math.round(performance.now() - setupStart);
  const withDb = target === 'parley';
  const processes = {
    server: server.pid,
    mariadb: withDb ? mariadbPid() : null,
    loadgen: process.pid,
  };
  return { run: { target, setupMs, phases: [] }, fleet, sampler: probe(processes, withDb) };
}

async function measure({ run, fleet, sampler }: Contender, index: number, spec: PhaseSpec) {
  process.stderr.write(`bench: ${run.target} ${spec.name}\n`);
  const edges: Partial<Record<'start' | 'end', Promise<Sample>>> = {};
  const result = await runPhase(fleet, index, spec, (edge) => {
    edges[edge] = sampler.sample();
  });
  const acked = (result.ackedPerSec * spec.measureMs) / 1000;
  const used = usage(await edges.start!, await edges.end!, acked);
  run.phases.push({ ...result, keptUp: keptUp(result), usage: used });
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the server settle
}

async function main(): Promise<number> {
  const began = performance.now();
  ensureServices();
  const contenders: Contender[] = [];
  try {
    contenders.push(await prepare('parley', 'parleyServer.ts', parleyTarget));
    contenders.push(await prepare('bare', 'bareRelay.ts', bareTarget));
    // Phase by phase, Parley then bare: both see the same background noise on a shared machine.
    for (const [index, spec] of PHASES.entries()) {
      for (const contender of contenders) await measure(contender, index, spec);
    }
  } finally {
    for (const { fleet, sampler } of contenders) {
      fleet.close();
      await sampler.close();
    }
    await stopAllServers();
  }
  const [parley, bare] = contenders.map((c) => c.run) as [TargetRun, TargetRun];
  const phaseRatios = ratios(parley, bare);
  const durationS = Math.round((performance.now() - began) / 100) / 10;

  process.stdout.write(`${render([parley, bare], phaseRatios, PHASES)}\n`);
  const files = await fileBench(); // issue 5: file uploads vs clamdscan alone, and memory
  process.stdout.write(`\n${renderFileBench(files)}\n`);
  const routing = await routingBench(); // issue 14: chat:start → offer, 200 agents, 2,000 waiting
  process.stdout.write(`\n${renderRoutingBench(routing)}\n`);
  const path = writeJson(`${repoRoot}test-results`, 'bench.json', {
    when: new Date().toISOString(),
    durationS,
    machine: { cpus: cpus().length, node: process.version },
    setup: { chats: CHATS, agents: AGENTS, transport: 'websocket over HTTPS', phases: PHASES },
    parley,
    bare,
    ratios: phaseRatios,
    files,
    routing,
  });
  process.stdout.write(`\nwhole run ${durationS} s; figures in ${path}\n`);
  const broken = [...parley.phases, ...bare.phases].some(
    (p) => p.counts.lost > 0 || p.counts.duplicates > 0,
  );
  if (broken) process.stderr.write('bench: messages were lost or duplicated (see above)\n');
  return broken ? 1 : 0;
}

const limit = setTimeout(() => {
  process.stderr.write(`bench: still running after ${RUN_LIMIT_MS / 1000} s; giving up\n`);
  void stopAllServers().finally(() => process.exit(1));
}, RUN_LIMIT_MS);
limit.unref();
process.once('SIGINT', () => void stopAllServers().finally(() => process.exit(130)));

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await stopAllServers();
    process.exit(1);
  },
);
