import { createHash } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { PermanentTargetError } from './target.ts';

// One way to reach an SFTP server, for the offsite backup copies (sftpTarget.ts) and the files
// shipped to the standby (standbyFiles.ts): key-based authentication only, the host key pinned.

export interface SftpLogin {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  /** The server's host key fingerprint as `ssh-keygen -lf` prints it: SHA256:base64. */
  hostKey: string;
  readyTimeout?: number;
}

export class HostKeyMismatchError extends PermanentTargetError {}

export interface SftpHandle {
  client: SftpClient;
  sftp: SFTPWrapper;
}

/** A host key's fingerprint in the form `ssh-keygen -lf` prints: SHA256:base64, unpadded. */
const fingerprintOf = (key: Buffer): string =>
  `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

/**
 * Connects and logs in, refusing any host key but the pinned one (HostKeyMismatchError, before
 * any credential is offered). `what` ends the refusal's message: what is not done.
 */
async function connectSftp(login: SftpLogin, what = 'refusing to upload'): Promise<SftpHandle> {
  const client = new SftpClient();
  let mismatch = false;
  try {
    const sftp = await client.connect({
      host: login.host,
      port: login.port,
      username: login.username,
      privateKey: login.privateKey,
      readyTimeout: login.readyTimeout ?? 10_000,
      hostVerifier: (key: Buffer) => {
        mismatch = fingerprintOf(key) !== login.hostKey;
        return !mismatch;
      },
    });
    return { client, sftp };
  } catch (error) {
    await client.end().catch(() => {});
    if (mismatch) {
      throw new HostKeyMismatchError(
        `the SFTP server ${login.host}:${login.port} presented a host key other than the pinned ${login.hostKey}; ${what}`,
      );
    }
    throw error;
  }
}

/**
 * One connection, opened when first used (then `prepare` runs on it) and closed after any failure,
 * so that the next use connects again.
 */
export function sftpSession(
  login: SftpLogin,
  what?: string,
  prepare: (open: SftpHandle) => Promise<void> = async () => {},
) {
  let session: SftpHandle | null = null;
  async function close(): Promise<void> {
    const open = session;
    session = null;
    await open?.client.end().catch(() => {});
  }
  return {
    async use<T>(work: (open: SftpHandle) => Promise<T>): Promise<T> {
      try {
        if (!session) {
          const opened = await connectSftp(login, what);
          session = opened;
          await prepare(opened);
        }
        return await work(session);
      } catch (error) {
        await close();
        throw error;
      }
    },
    close,
  };
}
