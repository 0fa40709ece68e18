import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';

/** Somewhere a finished backup is copied to. Every method may throw; the caller retries. */
export interface Target {
  name: string;
  /** Uploads under a temporary name, then renames: a partial copy never looks complete. */
  put(localFile: string, name: string): Promise<void>;
  /** Reads the copy back: its size and sha256. */
  digest(name: string): Promise<{ size: number; sha256: string }>;
  /** Downloads a copy to a local file (for a restore from offsite). */
  get(name: string, localFile: string): Promise<void>;
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

export { directoryTarget } from './directoryTarget.ts';

export interface SftpSettings {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  /** The server's host key fingerprint as `ssh-keygen -lf` prints it: SHA256:base64. */
  hostKey: string;
  path: string;
  readyTimeout?: number;
}

/** A refusal that retrying cannot fix (and must not repeat): a wrong host key, rejected credentials. */
export class PermanentTargetError extends Error {}

export class HostKeyMismatchError extends PermanentTargetError {}

/** An SFTP server: key-based auth only, the host key pinned by fingerprint. */
export function sftpTarget(settings: SftpSettings): Target {
  let client: SftpClient | null = null;
  let mismatch = false;
  const remote = (name: string) => `${settings.path.replace(/\/$/, '')}/${name}`;
  async function open(): Promise<SftpClient> {
    if (client) return client;
    const c = new SftpClient();
    mismatch = false;
    try {
      await c.connect({
        host: settings.host,
        port: settings.port,
        username: settings.username,
        privateKey: settings.privateKey,
        readyTimeout: settings.readyTimeout ?? 10_000,
        hostVerifier: (key: Buffer) => {
          const seen = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
          mismatch = seen !== settings.hostKey;
          return !mismatch;
        },
      });
    } catch (error) {
      await c.end().catch(() => {});
      if (mismatch) {
        throw new HostKeyMismatchError(
          `the SFTP server ${settings.host}:${settings.port} presented a host key other than the pinned ${settings.hostKey}; refusing to upload`,
        );
      }
      throw error;
    }
    client = c;
    return c;
  }
  async function reset(): Promise<void> {
    const c = client;
    client = null;
    await c?.end().catch(() => {});
  }
  const guard = async <T>(fn: (c: SftpClient) => Promise<T>): Promise<T> => {
    try {
      return await fn(await open());
    } catch (error) {
      await reset();
      throw error;
    }
  };
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
    close: reset,
  };
}

export interface ReplicaResult {
  target: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Copies one backup (and its companions) to a target and checks the copy's size and sha256,
 * retrying with exponential backoff. Never throws: a target that stays down is reported.
 */
export async function replicate(
  target: Target,
  backup: { file: string; name: string; size: number; sha256: string; companions?: string[] },
  options: {
    attempts?: number;
    backoffMs?: number;
    onRetry?: (attempt: number, error: Error) => void | Promise<void>;
  } = {},
): Promise<ReplicaResult> {
  const attempts = options.attempts ?? 5;
  let last: Error | null = null;
  let tried = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    tried = attempt;
    try {
      for (const companion of backup.companions ?? []) {
        await target.put(companion, companion.slice(companion.lastIndexOf('/') + 1));
      }
      await target.put(backup.file, backup.name);
      const copy = await target.digest(backup.name);
      if (copy.size !== backup.size || copy.sha256 !== backup.sha256) {
        throw new Error(
          `the copy on ${target.name} does not match (size ${copy.size}, sha256 ${copy.sha256})`,
        );
      }
      await target.close();
      return { target: target.name, ok: true, attempts: attempt };
    } catch (error) {
      last = error as Error;
      if (error instanceof PermanentTargetError) break; // retrying cannot help, and must not
      if (attempt < attempts) {
        await options.onRetry?.(attempt, last);
        await new Promise((r) => setTimeout(r, (options.backoffMs ?? 2000) * 2 ** (attempt - 1)));
      }
    }
  }
  await target.close();
  return {
    target: target.name,
    ok: false,
    attempts: tried,
    error: last?.message.split('\n')[0] ?? 'unknown error',
  };
}
