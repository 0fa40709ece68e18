import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get } from 'node:https';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../files/privateClamd.ts';
import { TEST_DB, TEST_ORIGIN, WIDGET_ORIGIN, devEnv, repoRoot } from '../harness/config.ts';
import { caCert } from '../harness/parley.ts';

// A Parley app as its own process (`node app/main.ts`), as production runs it: for the tests that
// need two of them, or one whose event loop is not the test's.

export interface AppProcess {
  url: string;
  pid: number;
  lines: string[];
  stop(): Promise<void>;
}

const healthy = (url: string) =>
  new Promise<boolean>((resolve) => {
    get(`${url}/healthz`, { ca: caCert(), agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).once('error', () => resolve(false));
  });

export async function startAppProcess(overrides: Record<string, string>): Promise<AppProcess> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['app/main.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      ...devEnv(),
      PARLEY_DB_NAME: TEST_DB,
      PARLEY_PUBLIC_URL: TEST_ORIGIN,
      PARLEY_WIDGET_ORIGINS: WIDGET_ORIGIN,
      PARLEY_HTTPS_HOST: '127.0.0.1',
      PARLEY_HTTPS_PORT: String(port),
      PARLEY_HTTP_REDIRECT: 'false',
      PARLEY_ARGON2_MEMORY_KIB: '8192',
      PARLEY_ARGON2_ITERATIONS: '1',
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_UI_DIR: `${repoRoot}ui/dist`,
      PARLEY_REDIS_KEY_PREFIX: `parley-test-${randomBytes(6).toString('hex')}:`,
      ...overrides,
    },
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  createInterface({ input: child.stderr }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  const deadline = Date.now() + 30_000;
  while (!(await healthy(url))) {
    if (child.exitCode !== null)
      throw new Error(`the app exited (${child.exitCode}): ${lines.slice(-5).join(' | ')}`);
    if (Date.now() > deadline) throw new Error('the app did not start in 30 s');
    await sleep(100);
  }
  return {
    url,
    pid: child.pid!,
    lines,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
