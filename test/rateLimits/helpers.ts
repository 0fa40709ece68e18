import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type { Ack } from '../../app/shared/protocol.ts';
import { freePort } from '../files/privateClamd.ts';

// Shared by the visitor-limit tests (issue 12): one attempt's outcome, whatever the transport.

export interface Outcome {
  limited: boolean;
  /** Refused before the Socket.IO handshake: an HTTP 429 to the transport, no connect_error data. */
  early?: boolean;
  /** The error id when the attempt failed for another reason (e.g. chat_already_open). */
  id?: string;
  retryAfter?: number;
}

export function fromAck(reply: Ack<unknown>): Outcome {
  if (reply.ok) return { limited: false };
  if (reply.error.id !== 'too_many_requests') return { limited: false, id: reply.error.id };
  return { limited: true, id: reply.error.id, retryAfter: reply.error.retryAfter };
}

export function fromHttp(res: {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}): Outcome {
  if (res.status !== 429) return { limited: false, id: String(res.status) };
  const error = (res.body as { error: { id: string; retryAfter?: number } }).error;
  // The header and the body say the same.
  expect(res.headers['retry-after']).toBe(String(error.retryAfter));
  return { limited: error.id === 'too_many_requests', id: error.id, retryAfter: error.retryAfter };
}

const describe = (value: unknown) =>
  typeof value === 'object' && value !== null ? (value as { message?: unknown }).message : value;

/** Connects and resolves with the outcome (the socket stays connected when allowed). */
export function fromConnect(socket: Socket): Promise<Outcome> {
  type ConnectError = Error & {
    data?: { id?: string; retryAfter?: number };
    description?: unknown;
  };
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ limited: false }));
    socket.once('connect_error', (error: ConnectError) => {
      if (error.data?.id === 'too_many_requests')
        resolve({ limited: true, id: error.data.id, retryAfter: error.data.retryAfter });
      // Long-polling reports the status; the ws client an error event "Unexpected server response: 429".
      else if (error.description === 429 || /: 429$/.test(String(describe(error.description))))
        resolve({ limited: true, early: true, id: 'too_many_requests' });
      else resolve({ limited: false, id: error.data?.id ?? error.message });
    });
  });
}

/**
 * For a rule of 2 per window plus a burst of 1: three attempts pass, the fourth is refused with a
 * retry-after within the window, and after waiting that long the next attempt passes again.
 */
export async function refusesBeyondBurstThenRecovers(
  attempt: () => Promise<Outcome>,
  windowSeconds = 2,
): Promise<Outcome> {
  const passed = [await attempt(), await attempt(), await attempt()];
  expect(passed.map((o) => o.limited)).toEqual([false, false, false]);
  const refused = await attempt();
  expect(refused).toMatchObject({ limited: true, id: 'too_many_requests' });
  expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
  expect(refused.retryAfter).toBeLessThanOrEqual(windowSeconds);
  await sleep(refused.retryAfter! * 1000 + 150);
  expect((await attempt()).limited).toBe(false);
  return refused;
}

export interface PrivateRedis {
  port: number;
  url: string;
  passwordFile: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Redis of the test's own (the shared dev Redis is never stopped by a test): loopback, a password,
 * no persistence, in the foreground so that the test holds its process and stops it by its pid.
 */
export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const passwordFile = join(dir, 'password');
  const password = `test-${port}-${Date.now()}`;
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    [
      'bind 127.0.0.1',
      `port ${port}`,
      'save ""',
      'appendonly no',
      `dir ${dir}`,
      `requirepass ${password}`,
    ].join('\n'),
    { mode: 0o600 },
  );
  let child: ChildProcess | null = null;
  const answers = () =>
    new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      let reply = '';
      socket.setTimeout(500, () => socket.destroy());
      socket.on('data', (chunk: Buffer) => {
        reply += chunk.toString();
        if (reply.includes('PONG')) socket.end();
      });
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(reply.includes('PONG')));
      socket.on('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    passwordFile,
    async start() {
      child = spawn('redis-server', [conf], { stdio: 'ignore' });
      for (let i = 0; i < 100; i += 1) {
        if (await answers()) return;
        await sleep(50);
      }
      throw new Error(`the private redis on ${port} did not start`);
    },
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
  };
}
