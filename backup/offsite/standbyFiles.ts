import type { SFTPWrapper, Stats } from 'ssh2';
import {
  HostKeyMismatchError,
  sftpSession,
  type SftpHandle,
  type SftpLogin,
} from './sftpConnection.ts';

// Issue 15: the standby site's files volume, reached over SFTP (its OpenSSH server: the
// posix-rename and fsync extensions are used). A blob keeps its name: `<path>/store/<name>`.

export interface StandbyFilesSettings extends SftpLogin {
  /** The standby's files directory (its PARLEY_FILES_DIR) as the SFTP login sees it. */
  path: string;
}

/** A failure on the standby's side; its message is the server's or the network's, no secret. */
export class StandbyFilesError extends Error {
  override name = 'StandbyFilesError';
}

export interface StandbyFiles {
  readonly name: string;
  /** Writes a local blob to the standby's store, whole or not at all; resolves once durable there. */
  send(localFile: string, name: string, bytes: number): Promise<void>;
  /** Removes a blob from the standby's store (gone already is fine). */
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

const call = <T>(fn: (done: (error: Error | null | undefined, value: T) => void) => void) =>
  new Promise<T>((resolve, reject) =>
    fn((error, value) => (error ? reject(error) : resolve(value))),
  );

/** Checks a written file's size on the standby, then has the standby fsync it. */
async function syncRemote(sftp: SFTPWrapper, path: string, bytes: number): Promise<void> {
  const handle = await call<Buffer>((done) => sftp.open(path, 'r+', done));
  try {
    const stats = await call<Stats>((done) => sftp.fstat(handle, done));
    if (stats.size !== bytes)
      throw new Error(`${path} holds ${stats.size} bytes after the upload, not ${bytes}`);
    await call<unknown>((done) => sftp.ext_openssh_fsync(handle, done));
  } finally {
    await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
  }
}

export function standbyFiles(settings: StandbyFilesSettings): StandbyFiles {
  const dir = settings.path.replace(/\/+$/, '');
  // A standby that has not run Parley yet has no volume: made as its file store makes it.
  const session = sftpSession(settings, 'refusing to ship files to it', async ({ client }) => {
    for (const sub of ['store', 'tmp'])
      if (!(await client.exists(`${dir}/${sub}`))) {
        await client.mkdir(`${dir}/${sub}`, true);
        await client.chmod(`${dir}/${sub}`, 0o700);
      }
  });
  /** Runs `work` on the connection; a failure other than the host key's says what the server said. */
  async function guard(work: (open: SftpHandle) => Promise<void>): Promise<void> {
    try {
      await session.use(work);
    } catch (error) {
      if (error instanceof HostKeyMismatchError) throw error;
      const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      throw new StandbyFilesError(message.slice(0, 300), { cause: error });
    }
  }

  return {
    name: `sftp:${settings.username}@${settings.host}:${settings.port}${dir}`,
    // Under tmp/ (swept there if a crash leaves it), fsynced, then renamed over any copy a broken
    // round left: a blob in the standby's store/ is always whole.
    send: (localFile, name, bytes) =>
      guard(async ({ client, sftp }) => {
        const tmp = `${dir}/tmp/${name}`;
        await client.fastPut(localFile, tmp, { mode: 0o600 });
        await syncRemote(sftp, tmp, bytes);
        await client.posixRename(tmp, `${dir}/store/${name}`);
      }),
    remove: (name) =>
      guard(async ({ client }) => void (await client.delete(`${dir}/store/${name}`, true))),
    close: session.close,
  };
}
