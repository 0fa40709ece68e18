import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DbAccess } from '../../backup/archive/mariadb.ts';
import { freePort } from './sshd.ts';

// A MariaDB of the test's own that writes a binary log (the shared dev server does not), on its
// own port, with an account that has privileges on `parley%` only, like Parley's.

export interface BinlogServer {
  access: DbAccess;
  /** Runs SQL as root over the server's socket. */
  root(sql: string): string;
  stop(): Promise<void>;
}

export async function binlogServer(): Promise<BinlogServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-binlog-db-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const port = await freePort();
  // mariadbd will not run as root unless told to; as root, the distribution's mysql user runs it.
  const user = userInfo().uid === 0 ? 'mysql' : userInfo().username;
  if (userInfo().uid === 0) chownSync(dir, uidOf(user), uidOf(user, 'g'));
  execFileSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--user=${user}`,
      `--datadir=${data}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
    ],
    { stdio: 'ignore' },
  );
  const server: ChildProcess = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--user=${user}`,
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      `--log-bin=${join(data, 'binlog')}`,
      '--server-id=1',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      `--log-error=${join(dir, 'error.log')}`,
    ],
    { stdio: 'ignore' },
  );
  const root = (sql: string) =>
    execFileSync('mariadb', ['--no-defaults', '-uroot', `--socket=${socket}`, '-N', '-e', sql], {
      encoding: 'utf8',
    });
  for (let i = 0; ; i++) {
    try {
      root('SELECT 1');
      break;
    } catch (error) {
      if (i > 150 || server.exitCode !== null) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const password = 'binlog-test';
  root(
    `CREATE USER 'parley'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON \`parley%\`.* TO 'parley'@'127.0.0.1';`,
  );
  return {
    access: { host: '127.0.0.1', port, user: 'parley', password, database: 'parley_binlog' },
    root,
    stop: async () => {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string, kind: 'u' | 'g' = 'u'): number {
  return Number(execFileSync('id', [`-${kind}`, user], { encoding: 'utf8' }).trim());
}
