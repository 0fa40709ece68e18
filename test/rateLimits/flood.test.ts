import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/config.ts';
import { caCert } from '../harness/parley.ts';
import { startAppProcess, type AppProcess } from './appProcess.ts';

// 1,000 sockets connecting at once from one address (127.0.0.1), with the default limits, while
// /readyz is asked every 50 ms over a fresh TLS connection from another address (127.0.0.2, as a load
// balancer's health check would be): it must keep answering within 500 ms. The app, the flood and the
// probe each run in a process of their own; the flood runs at the lowest CPU priority, since an
// attacker's own CPU is not the server's (on this machine they share two cores).

const SOCKETS = 1000;
const PROBE = '127.0.0.2';
const BOUND_MS = 500;
let app: AppProcess;

beforeAll(async () => {
  app = await startAppProcess({ PARLEY_LOG_LEVEL: 'warn' });
});
afterAll(() => app?.stop());

function readyz(url: string, ca: Buffer): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/readyz`, { ca, agent: false, localAddress: PROBE }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

interface FloodResult {
  connected: number;
  /** Refused at the handshake, with connect_error data. */
  refused: number;
  /** Refused before the handshake (the address was already known to be over): an HTTP 429. */
  refusedEarly: number;
  other: number;
  ms: number;
}

describe('a flood of sockets from one address', () => {
  it(`${SOCKETS} sockets: most refused cheaply, /readyz stays under ${BOUND_MS} ms`, async () => {
    const ca = caCert();
    const baseline: number[] = [];
    for (let i = 0; i < 10; i += 1) baseline.push((await readyz(app.url, ca)).ms);

    const flood = spawn(
      'nice',
      ['-n', '19', process.execPath, 'test/rateLimits/flood.ts', app.url, String(SOCKETS)],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const done = new Promise<FloodResult>((resolve, reject) => {
      flood.once('exit', (code) => reject(new Error(`the flood exited (${code})`)));
      createInterface({ input: flood.stdout }).once('line', (line) =>
        resolve(JSON.parse(line) as FloodResult),
      );
    });
    let finished = false;
    const probes: { status: number; ms: number }[] = [];
    const probing = (async () => {
      while (!finished) {
        probes.push(await readyz(app.url, ca));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const result = await done;
    finished = true;
    await probing;
    flood.stdin.end();

    const slowest = Math.max(...probes.map((probe) => probe.ms));
    const sorted = probes.map((probe) => probe.ms).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `flood: ${JSON.stringify(result)}; load average ${loadavg()[0]!.toFixed(2)}; ` +
        `/readyz during it: ${probes.length} probes, ` +
        `median ${median.toFixed(0)} ms, slowest ${slowest.toFixed(0)} ms ` +
        `(before: median ${baseline.sort((a, b) => a - b)[5]!.toFixed(0)} ms)`,
    );
    // The default per-address rule, 300/60s+300: 600 pass within the minute, the rest are refused.
    // (Should Redis answer later than its timeout under this load, an attempt is counted in memory
    // instead, so a few more may pass; none that the rule allows is refused.)
    expect(result.other).toBe(0);
    expect(result.connected).toBeGreaterThanOrEqual(600);
    expect(result.connected).toBeLessThanOrEqual(650);
    expect(result.connected + result.refused + result.refusedEarly).toBe(SOCKETS);
    expect(probes.length).toBeGreaterThan(3);
    expect(probes.every((probe) => probe.status === 200)).toBe(true);
    expect(slowest).toBeLessThan(BOUND_MS);
  }, 300_000);
});
