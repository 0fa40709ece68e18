import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import type SftpClient from 'ssh2-sftp-client';
import { sftpSession, type SftpLogin } from './sftpConnection.ts';
import type { Target } from './target.ts';

export interface SftpSettings extends SftpLogin {
  path: string;
}

/** An SFTP server: key-based auth only, the host key pinned by fingerprint. */
export function sftpTarget(settings: SftpSettings): Target {
  const session = sftpSession(settings);
  const remote = (name: string) => `${settings.path.replace(/\/$/, '')}/${name}`;
  const guard = <T>(work: (c: SftpClient) => Promise<T>): Promise<T> =>
    session.use(({ client }) => work(client));
  return {
    name: `sftp:${settings.username}@${settings.host}:${settings.port}${settings.path}`,
    put: (localFile, name) =>
      guard(async (c) => {
        const tmp = remote(`.${name}.tmp`);
        await c.put(createReadStream(localFile), tmp);
        if (await c.exists(remote(name))) await c.delete(remote(name));
        await c.rename(tmp, remote(name));
      }),
    digest: (name) =>
      guard(async (c) => {
        const hash = createHash('sha256');
        let size = 0;
        const sink = new Writable({
          write(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            size += chunk.length;
            done();
          },
        });
        await c.get(remote(name), sink);
        return { size, sha256: hash.digest('hex') };
      }),
    get: (name, localFile) =>
      guard(async (c) => void (await c.get(remote(name), createWriteStream(localFile)))),
    list: () => guard(async (c) => (await c.list(settings.path)).map((e) => e.name)),
    remove: (name) => guard(async (c) => void (await c.delete(remote(name), true))),
    close: session.close,
  };
}
