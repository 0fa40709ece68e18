import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** A private OpenSSH server on a loopback port: its own host key, one authorized client key. */
export interface TestSshd {
  port: number;
  user: string;
  clientKey: string;
  hostKeyFingerprint: string;
  root: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function keygen(file: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'ignore' });
}

export async function testSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sshd-'));
  const root = join(dir, 'remote');
  mkdirSync(root);
  mkdirSync('/run/sshd', { recursive: true });
  keygen(join(dir, 'host'));
  keygen(join(dir, 'client'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')));
  const port = await freePort();
  const conf = join(dir, 'sshd_config');
  writeFileSync(
    conf,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  const fingerprint = execFileSync('ssh-keygen', ['-lf', join(dir, 'host.pub')], {
    encoding: 'utf8',
  }).split(' ')[1]!;
  let child: ChildProcess | null = null;
  return {
    port,
    user: userInfo().username,
    clientKey: readFileSync(join(dir, 'client'), 'utf8'),
    hostKeyFingerprint: fingerprint,
    root,
    async start() {
      child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', conf, '-p', String(port)], {
        stdio: 'ignore',
      });
      for (let i = 0; i < 100; i++) {
        const up = await new Promise<boolean>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.destroy();
            resolve(true);
          });
          socket.on('error', () => resolve(false));
        });
        if (up) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('sshd did not start');
    },
    async stop() {
      if (!child) return;
      const c = child;
      child = null;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGTERM');
      await exited;
    },
  };
}
