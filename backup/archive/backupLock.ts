import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { takeLock, type DbAccess } from './mariadb.ts';

// One backup or restore at a time, across processes and containers: MariaDB's GET_LOCK (mariadb.ts)
// on a dedicated connection, released when that connection ends even if its process was killed.

export class BackupBusyError extends Error {
  constructor() {
    super('another backup or restore is running; try again when it has finished');
  }
}

/**
 * Runs `work` holding the backup lock, which backups and restores take: nothing else writes to
 * or deletes from the backup folder (or restores) meanwhile. What a crashed run left is removed
 * first. Throws BackupBusyError while another holds it.
 */
export async function withBackupLock<T>(
  access: DbAccess,
  dir: string,
  work: () => Promise<T>,
): Promise<T> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await takeLock(access, 'backup');
  if (!lock) throw new BackupBusyError();
  try {
    await removeLeftovers(dir);
    return await work();
  } finally {
    await lock.release();
  }
}

/** Under the lock, any temporary file is what a crashed run left behind. */
export async function removeLeftovers(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const removed: string[] = [];
  for (const name of names) {
    const orphanSum = name.endsWith('.sha256') && !names.includes(name.slice(0, -'.sha256'.length));
    if (name.endsWith('.tmp') || orphanSum) {
      await rm(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}
