import { constants, createReadStream } from 'node:fs';
import { chmod, copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { fsyncPath } from '../../app/storage/fsync.ts';
import { decrypt, openKeys, verified, type BackupKeys } from './decryption.ts';
import { refused } from './refused.ts';

// The files master key travels beside each backup as `parley-<time>.files-key.gpg`, encrypted to
// IT and signed like the archive (backupJob.ts writes it). A site rebuilt from the backups needs it
// back, or no stored file can be read.

const KEY_BYTES = 32;

/** The artifact that goes with a backup: `parley-<time>.files-key.gpg`. */
export function filesKeyArtifactName(backupName: string): string {
  return backupName.replace('.tar.gz.gpg', '.files-key.gpg');
}

/** Decrypts an artifact and checks its signature; the 32-byte key, or a refusal that says why. */
export async function openFilesKeyArtifact(file: string, keys: BackupKeys): Promise<Buffer> {
  const opened = await openKeys(keys);
  const decrypted = await decrypt(createReadStream(file), opened);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of Readable.fromWeb(decrypted.data as never))
      chunks.push(Buffer.from(chunk as Uint8Array));
    await verified(decrypted);
  } catch (error) {
    throw refused('the files key artifact is damaged or not signed by the expected key', error);
  }
  const key = Buffer.concat(chunks);
  if (key.length !== KEY_BYTES)
    throw refused(`the files key artifact holds ${key.length} bytes, not a ${KEY_BYTES}-byte key`);
  return key;
}

export type FilesKeyInstalled =
  { outcome: 'unchanged' | 'written' } | { outcome: 'replaced'; previous: string };

/**
 * Puts the key at `path` (mode 600, written whole: temporary name, fsync, rename). A different key
 * already there is kept beside it as `<path>.replaced-<stamp>`, never lost.
 */
export async function installFilesKey(
  path: string,
  key: Buffer,
  stamp: string,
): Promise<FilesKeyInstalled> {
  const current = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (current?.equals(key)) return { outcome: 'unchanged' };
  const tmp = `${path}.${process.pid}.writing`;
  const previous = current ? `${path}.replaced-${stamp}` : null;
  try {
    await writeFile(tmp, key, { mode: 0o600 });
    await fsyncPath(tmp);
    if (previous) {
      await copyFile(path, previous, constants.COPYFILE_EXCL);
      await chmod(previous, 0o600);
    }
    await rename(tmp, path); // atomic: the path holds the old key or the new one, never neither
  } finally {
    await rm(tmp, { force: true });
  }
  await fsyncPath(dirname(path));
  return previous ? { outcome: 'replaced', previous } : { outcome: 'written' };
}
