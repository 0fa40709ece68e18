import { readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { BackupBusyError } from './backupLock.ts';
import { connect, takeLock, baseTables, type DbAccess } from './mariadb.ts';

// After a restore's swap the replaced data waits in `<db>_rollback_<time>` (and the files folder's
// `.rollback-<time>` copy) until IT keeps the restore or puts the old data back.

/** One RENAME TABLE statement moves every table at once: atomic for readers and writers. */
export async function swap(server: Connection, live: string, staging: string, rollback: string) {
  await server.query(
    `CREATE DATABASE \`${rollback}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  const current = await baseTables(server, live);
  const restored = await baseTables(server, staging);
  const moves = [
    ...current.map((t) => `\`${live}\`.\`${t}\` TO \`${rollback}\`.\`${t}\``),
    ...restored.map((t) => `\`${staging}\`.\`${t}\` TO \`${live}\`.\`${t}\``),
  ];
  await server.query(`RENAME TABLE ${moves.join(', ')}`);
}

export async function rollbackDatabases(server: Connection, live: string): Promise<string[]> {
  const [rows] = await server.query('SHOW DATABASES');
  const prefix = `${live}_rollback_`;
  return (rows as { Database: string }[])
    .map((r) => r.Database)
    .filter((name) => name.startsWith(prefix) && /^\d{14}$/.test(name.slice(prefix.length)))
    .sort();
}

/** `make restore-confirm`: keeps the restored data and drops the rollback point. */
export async function confirmRestore(
  access: DbAccess,
  filesDir?: string | null,
): Promise<string[]> {
  const server = await connect(access, null);
  try {
    const dropped = await rollbackDatabases(server, access.database);
    for (const name of dropped) await server.query(`DROP DATABASE \`${name}\``);
    for (const dir of await rollbackDirs(filesDir)) await rm(dir, { recursive: true, force: true });
    return dropped;
  } finally {
    await server.end();
  }
}

/** `make restore-rollback`: puts back the data the last restore replaced. */
export async function rollbackRestore(
  access: DbAccess,
  filesDir?: string | null,
): Promise<string | null> {
  const lock = await takeLock(access, 'backup');
  if (!lock) throw new BackupBusyError();
  const server = await connect(access, null);
  try {
    const rollback = (await rollbackDatabases(server, access.database)).pop();
    if (!rollback) return null;
    const discard = `${access.database}_discard_${rollback.slice(-14)}`;
    await swap(server, access.database, rollback, discard);
    await server.query(`DROP DATABASE \`${rollback}\``);
    await server.query(`DROP DATABASE \`${discard}\``);
    const dir = (await rollbackDirs(filesDir)).pop();
    if (filesDir && dir) {
      await rm(filesDir, { recursive: true, force: true });
      await rename(dir, filesDir);
    }
    return rollback;
  } finally {
    await server.end();
    await lock.release();
  }
}

async function rollbackDirs(filesDir?: string | null): Promise<string[]> {
  if (!filesDir) return [];
  const parent = dirname(filesDir);
  const base = filesDir.slice(parent.length + 1);
  const names = await readdir(parent).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(`${base}.rollback-`))
    .sort()
    .map((n) => join(parent, n));
}
