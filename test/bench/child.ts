import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from '../harness/config.ts';

/** What a server entry prints, as one JSON line on stdout, once it listens. */
export interface Ready {
  bench: 'ready';
  port: number;
  origin: string;
  agents: { email: string; password: string }[];
}

export interface ServerChild {
  name: string;
  pid: number;
  ready: Ready;
  stop(): Promise<void>;
}

const live = new Set<ServerChild>();

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Runs a server entry under test/bench/ in its own Node process (the same Node as this one).
 * Its stdin stays open: when this process dies, the child sees end-of-file and exits too.
 */
export function startServer(name: string, entry: string, args: string[] = [], timeoutMs = 90_000) {
  // BENCH_PROFILE=1: each server writes a V8 CPU profile (open it in Chrome DevTools) when it stops.
  const profile = process.env.BENCH_PROFILE
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${repoRoot}test-results/bench-profiles`,
        `--cpu-prof-name=${name}.cpuprofile`,
      ]
    : [];
  const child = spawn(process.execPath, [...profile, `${repoRoot}test/bench/${entry}`, ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stop = async () => {
    live.delete(handle);
    child.stdin?.end();
    child.kill('SIGTERM');
    if (!(await exited(child, 5000))) child.kill('SIGKILL');
    await exited(child, 2000);
  };
  const handle: ServerChild = {
    name,
    pid: child.pid ?? 0,
    ready: undefined as unknown as Ready,
    stop,
  };
  live.add(handle);

  return new Promise<ServerChild>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop().finally(() => reject(new Error(`${name}: ${why}`)));
    };
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited before it was ready (${signal ?? code})`));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        message = undefined;
      }
      if ((message as Ready | undefined)?.bench === 'ready') {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.once('exit', (code, signal) => {
          if (live.has(handle)) process.stderr.write(`bench: ${name} died (${signal ?? code})\n`);
        });
        handle.ready = message as Ready;
        resolve(handle);
      } else {
        process.stderr.write(`[${name}] ${line}\n`); // its logs: warnings and errors only
      }
    });
  });
}

/** Ends every server still running; for the failure and timeout paths. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

/** For server entries: announce readiness, and shut down when the parent goes away. */
export function announceReady(ready: Omit<Ready, 'bench'>, shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    void shutdown().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ bench: 'ready', ...ready })}\n`);
}
