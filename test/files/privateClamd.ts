import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/config.ts';

// A clamd of the test's own, on its own port (the shared dev clamd is never stopped by a test). It is
// configured like ops/dev/services.sh's, with the same test signatures, in the foreground so that the
// test holds its process and stops it by its pid.

/** The 68-byte EICAR test string, built from the hex kept in ops/dev/services.sh (never literal). */
export function eicar(): Buffer {
  const script = readFileSync(join(repoRoot, 'ops/dev/services.sh'), 'utf8');
  const hex = /^EICAR_HEX=([0-9a-f]+)$/m.exec(script)?.[1];
  if (!hex) throw new Error('EICAR_HEX not found in ops/dev/services.sh');
  return Buffer.from(hex, 'hex');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const ping = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(reply.startsWith('PONG')));
    socket.connect(port, '127.0.0.1', () => socket.end('zPING\0'));
  });

export interface PrivateClamd {
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
}

export async function privateClamd(
  options: { streamMaxLength?: string } = {},
): Promise<PrivateClamd> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-clamd-'));
  const db = join(dir, 'db');
  const devDb = join(repoRoot, '.parley/clamav/db');
  const { mkdirSync, copyFileSync, existsSync } = await import('node:fs');
  mkdirSync(db);
  writeFileSync(join(db, 'test.ndb'), `Eicar-Test-Signature:0:*:${eicar().toString('hex')}\n`);
  if (existsSync(join(devDb, 'test.hdb')))
    copyFileSync(join(devDb, 'test.hdb'), join(db, 'test.hdb'));
  const conf = join(dir, 'clamd.conf');
  writeFileSync(
    conf,
    [
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `DatabaseDirectory ${db}`,
      `LogFile ${join(dir, 'clamd.log')}`,
      'Foreground yes',
      `StreamMaxLength ${options.streamMaxLength ?? '30M'}`,
      'MaxFileSize 30M',
      'MaxScanSize 100M',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;

  const instance: PrivateClamd = {
    port,
    async start() {
      child = spawn('clamd', ['-c', conf], { stdio: 'ignore' });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`private clamd exited (${child.exitCode})`);
        if (await ping(port)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('private clamd did not answer PING within 60 s');
    },
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
  return instance;
}
