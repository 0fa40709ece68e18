import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../backup/sshd.ts';

// A MariaDB server of a test's own (a fresh datadir in a temporary folder, its own port and
// socket, root over that socket), for tests that need server options the shared dev server does
// not run: a binary log, replication. Killed with SIGKILL and started again on the same datadir.

export interface PrivateMariadb {
  port: number;
  /** Its temporary folder: files placed here are readable by the server (`chown` below). */
  dir: string;
  /** Runs SQL as root over the server's socket. */
  root(sql: string): string;
  start(): Promise<void>;
  kill(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

/** `options(dir)`: mariadbd options beyond the datadir, socket, port and character set. */
export async function privateMariadb(
  prefix: string,
  options: (dir: string) => string[],
  prepare: (dir: string) => void = () => {},
): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const data = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const port = await freePort();
  prepare(dir);
  // mariadbd will not run as root unless told to; as root, the distribution's mysql user runs it.
  const asRoot = userInfo().uid === 0;
  const user = asRoot ? 'mysql' : userInfo().username;
  if (asRoot) {
    const [uid, gid] = [Number(run('id', ['-u', user])), Number(run('id', ['-g', user]))];
    run('chown', ['-R', `${uid}:${gid}`, dir]);
    chownSync(dir, uid, gid);
  }
  run('mariadb-install-db', [
    '--no-defaults',
    `--user=${user}`,
    `--datadir=${data}`,
    '--auth-root-authentication-method=socket',
    '--skip-test-db',
  ]);
  const root = (sql: string) =>
    run('mariadb', ['--no-defaults', '-uroot', `--socket=${socket}`, '-N', '-e', sql]);
  let server: ChildProcess | null = null;
  async function start() {
    const child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--user=${user}`,
        `--datadir=${data}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        `--log-error=${join(dir, 'error.log')}`,
        ...options(dir),
      ],
      { stdio: 'ignore' },
    );
    server = child;
    for (let i = 0; ; i++) {
      try {
        root('SELECT 1');
        return;
      } catch (error) {
        if (i > 300 || child.exitCode !== null) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  const exit = async (signal: NodeJS.Signals) => {
    const s = server;
    if (!s || s.exitCode !== null) return;
    const exited = new Promise((r) => s.once('exit', r));
    s.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    dir,
    root,
    start,
    kill: () => exit('SIGKILL'),
    async stop() {
      await exit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
