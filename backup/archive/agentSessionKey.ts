import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { BackupRefusedError } from './refused.ts';

/** A backup's OpenPGP session key: all that decrypting it needs, and good for that backup only. */
export interface SessionKey {
  algorithm: 'aes128' | 'aes192' | 'aes256';
  data: Uint8Array;
}

const ALGORITHMS: Record<string, SessionKey['algorithm']> = {
  '7': 'aes128',
  '8': 'aes192',
  '9': 'aes256',
};

// The recipients' key packets come first in the file; 64 KiB holds them with room to spare.
const HEAD_BYTES = 64 << 10;

/**
 * `KEY=agent`: IT's private key stays where GnuPG keeps it (gpg-agent, a smartcard, a token):
 * gpg is given only the start of the backup (its key packets and a few KiB of ciphertext),
 * decrypts the session key with the agent (which may ask for a PIN), and prints it; its partial
 * output goes to /dev/null. The restore then decrypts the whole backup with that key alone.
 */
export async function sessionKeyFromAgent(
  file: string,
  options: { gnupgHome?: string } = {},
): Promise<SessionKey> {
  const head = await backupHead(file);
  const gpg = spawn(
    'gpg',
    ['--batch', '--status-fd', '1', '--show-session-key', '--decrypt', '--output', '/dev/null'],
    {
      env: { ...process.env, ...(options.gnupgHome ? { GNUPGHOME: options.gnupgHome } : {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let status = '';
  let errors = '';
  gpg.stdout.on('data', (d: Buffer) => (status += d.toString('utf8')));
  gpg.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString('utf8')).slice(-4000)));
  gpg.stdin.on('error', () => {}); // gpg may stop reading once it has the key; its status tells
  gpg.stdin.end(head);
  const started = await new Promise<boolean>((resolve) => {
    gpg.once('error', () => resolve(false));
    gpg.once('close', () => resolve(true));
  });
  if (!started) throw new BackupRefusedError('KEY=agent needs GnuPG (gpg) on this machine');
  // The ciphertext was cut short on purpose: gpg then reports a failure after the key.
  const line = /^\[GNUPG:\] SESSION_KEY (\S+)$/m.exec(status)?.[1];
  const key = line ? parseSessionKey(line) : null;
  if (!key) {
    const why = errors
      .split('\n')
      .map((l) => l.replace(/^gpg: /, '').trim())
      .filter((l) => l && !/^encrypted with|^\s*"/.test(l))
      .pop();
    throw new BackupRefusedError(
      `backup refused: GnuPG could not decrypt its session key with the keys it holds${why ? ` (${why})` : ''}; is IT's key in gpg-agent or the card inserted? nothing was changed`,
    );
  }
  return key;
}

/** A session key as `gpg --show-session-key` prints it: `9:HEX` (9 = AES-256); null if not one. */
export function parseSessionKey(text: string): SessionKey | null {
  const match = /^(\d+):([0-9A-Fa-f]+)$/.exec(text.trim());
  const algorithm = match ? ALGORITHMS[match[1]!] : undefined;
  if (!match || !algorithm) return null;
  const data = Buffer.from(match[2]!, 'hex');
  const bytes = { aes128: 16, aes192: 24, aes256: 32 }[algorithm];
  return data.length === bytes ? { algorithm, data } : null;
}

/** The first bytes of a backup: enough for gpg to decrypt its session key (`KEY=agent`). */
export async function backupHead(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
