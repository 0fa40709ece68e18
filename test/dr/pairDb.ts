import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { accountsSql, replicationOptions, type PairAccounts } from '../../ops/dr/accounts.ts';
import { freePort } from '../backup/sshd.ts';
import { repoRoot } from '../harness/config.ts';

// One site's private MariaDB for the DR tests (issue 15): GTID binlog, semi-sync both ways, TLS
// with the dev CA, the DR accounts. Killed with SIGKILL and started again on the same datadir.

export interface PairDb {
  port: number;
  dir: string;
  root(sql: string): string;
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

export async function pairDb(
  serverId: number,
  accounts: PairAccounts,
  semiSyncTimeoutMs: number,
): Promise<PairDb> {
  const dir = mkdtempSync(join(tmpdir(), `parley-dr-db${serverId}-`));
  const data = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  const user = asRoot ? 'mysql' : userInfo().username;
  const tls = {
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    ca: join(dir, 'ca.crt'),
  };
  for (const name of ['server.crt', 'server.key', 'ca.crt'] as const)
    copyFileSync(join(repoRoot, '.parley/tls', name), join(dir, name));
  if (asRoot) {
    const [uid, gid] = [Number(run('id', ['-u', user])), Number(run('id', ['-g', user]))];
    for (const f of [dir, tls.cert, tls.key, tls.ca]) chownSync(f, uid, gid);
  }
  run('mariadb-install-db', [
    '--no-defaults',
    `--user=${user}`,
    `--datadir=${data}`,
    '--auth-root-authentication-method=socket',
    '--skip-test-db',
  ]);
  let server: ChildProcess | null = null;
  const root = (sql: string) =>
    run('mariadb', ['--no-defaults', '-uroot', `--socket=${socket}`, '-N', '-e', sql]);
  async function start() {
    server = spawn(
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
        ...replicationOptions(serverId, tls, semiSyncTimeoutMs),
      ],
      { stdio: 'ignore', cwd: data },
    );
    for (let i = 0; ; i++) {
      try {
        root('SELECT 1');
        return;
      } catch (error) {
        if (i > 300 || server.exitCode !== null) throw error;
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
  root(accountsSql(accounts));
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
