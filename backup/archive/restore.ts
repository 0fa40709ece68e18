import './gcTuning.ts';
import { finished } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { Writable } from 'node:stream';
import { BackupBusyError } from './backupLock.ts';
import {
  DATABASE_PREFIX,
  FILES_PREFIX,
  compareVersions,
  type BackupHeader,
  type Manifest,
} from './manifest.ts';
import { SqlLoader } from './loadSql.ts';
import { rollbackDatabases, swap } from './rollback.ts';
import { connect, connectVerbatim, countRows, takeLock, type DbAccess } from './mariadb.ts';
import { authenticate, type Authenticated } from './authenticate.ts';
import type { BackupKeys } from './decryption.ts';
import { readBackup } from './readBackup.ts';
import { BackupIncompatibleError, BackupRefusedError } from './refused.ts';

/** The keys: IT's armored private key, or `sessionKey` from gpg-agent (`KEY=agent`). */
export interface RestoreOptions extends BackupKeys {
  access: DbAccess;
  file: string;
  filesDir?: string | null;
  parleyVersion: string;
  /** Migration names this Parley knows (its migrations folder). */
  knownMigrations: string[];
  /** Brings the live schema up to date after the swap. */
  migrate: () => Promise<string[]>;
  progress?: (line: string) => void;
  now?: () => Date;
  /** How long the signature pass may make no progress before it gives up (default 60 s). */
  stallMs?: number;
  /** A drill: restore into a scratch database, check it, drop it; nothing live changes. */
  drill?: boolean;
}

export interface RestoreReport {
  manifest: Manifest;
  rollbackDatabase: string;
  rollbackFiles: string | null;
  tables: number;
  rows: number;
  files: number;
  migrated: string[];
}

const stampOf = (at: Date) => at.toISOString().replace(/\D/g, '').slice(0, 14);

/** Checks a manifest against this Parley: a newer version or an unknown schema is refused. */
export function checkCompatible(manifest: BackupHeader, version: string, known: string[]): void {
  if (compareVersions(manifest.parleyVersion, version) > 0) {
    throw new BackupIncompatibleError(
      `backup refused: it was made by Parley ${manifest.parleyVersion}, newer than this Parley ${version}. ` +
        `Upgrade this installation to Parley ${manifest.parleyVersion} or later, then restore again; nothing was changed`,
    );
  }
  const bare = (name: string) => name.replace(/\.(ts|js)$/, '');
  if (!known.map(bare).includes(bare(manifest.migration))) {
    throw new BackupIncompatibleError(
      `backup refused: its database schema (migration ${manifest.migration}) is unknown to Parley ${version}. ` +
        'Upgrade to the Parley release that made the backup, then restore again; nothing was changed',
    );
  }
}

export async function restore(options: RestoreOptions): Promise<RestoreReport> {
  const say = options.progress ?? (() => {});
  const lock = await takeLock(options.access, 'backup');
  if (!lock) throw new BackupBusyError();
  const server = await connect(options.access, null);
  let file: FileHandle | undefined;
  try {
    const pending = options.drill ? [] : await rollbackDatabases(server, options.access.database);
    if (pending.length > 0) {
      throw new BackupRefusedError(
        `restore refused: a previous restore awaits confirmation (${pending.join(', ')}). ` +
          'Run `make restore-confirm` to keep it or `make restore-rollback` to undo it first; nothing was changed',
      );
    }
    const keys: BackupKeys = {
      decryptionKey: options.decryptionKey,
      passphrase: options.passphrase,
      sessionKey: options.sessionKey,
      verificationKeys: options.verificationKeys,
    };
    // One open file for both passes: the second reads the same inode, block-checked against the first.
    file = await open(options.file, 'r').catch((error: NodeJS.ErrnoException) => {
      throw new BackupRefusedError(
        `backup refused: ${options.file} cannot be read (${error.code ?? error.message}); nothing was changed`,
      );
    });
    say('1/5 checking the signature and the header');
    const pinned = await authenticate(file, {
      ...keys,
      stallMs: options.stallMs,
      onProgress: progressEvery(say),
    });
    // A backup made before the header entry existed: its manifest is read in a pass of its own.
    const header =
      pinned.header ??
      (await readBackup(file, { ...keys, pinned, onProgress: progressEvery(say) }));
    // The load below refuses a manifest that differs from this header: checked once, here.
    checkCompatible(header, options.parleyVersion, options.knownMigrations);

    const stamp = stampOf((options.now ?? (() => new Date()))());
    const kind = options.drill ? 'drill' : 'restore';
    const staging = `${options.access.database}_${kind}_${stamp}`;
    const stagingFiles = options.filesDir ? `${options.filesDir}.${kind}-${stamp}` : null;
    say(`2/5 restoring into staging database ${staging}, checking every part's checksum`);
    await server.query(
      `CREATE DATABASE \`${staging}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    let swapped = false;
    try {
      const { manifest, files } = await restoreToStaging(
        options,
        { file, keys, pinned },
        staging,
        stagingFiles,
        say,
      );
      say('3/5 checking row counts against the manifest');
      const counts = await countRows(options.access, staging);
      assertCounts(counts, manifest.tables);
      const rows = Object.values(counts).reduce((a, b) => a + b, 0);
      if (options.drill) {
        const tables = Object.keys(counts).length;
        return {
          manifest,
          rollbackDatabase: '',
          rollbackFiles: null,
          tables,
          rows,
          files,
          migrated: [],
        };
      }
      say('4/5 swapping the restored data in');
      const rollback = `${options.access.database}_rollback_${stamp}`;
      const rollbackFiles = options.filesDir ? `${options.filesDir}.rollback-${stamp}` : null;
      await swap(server, options.access.database, staging, rollback);
      swapped = true;
      if (options.filesDir && stagingFiles && rollbackFiles) {
        await moveIfExists(options.filesDir, rollbackFiles);
        await mkdir(stagingFiles, { recursive: true });
        await rename(stagingFiles, options.filesDir);
      }
      say('5/5 running pending migrations');
      const migrated = await options.migrate();
      return {
        manifest,
        rollbackDatabase: rollback,
        rollbackFiles,
        tables: Object.keys(counts).length,
        rows,
        files,
        migrated,
      };
    } finally {
      await server.query(`DROP DATABASE IF EXISTS \`${staging}\``);
      if (stagingFiles && !swapped) await rm(stagingFiles, { recursive: true, force: true });
    }
  } finally {
    await file?.close();
    await server.end();
    await lock.release();
  }
}

async function restoreToStaging(
  options: RestoreOptions,
  source: { file: FileHandle; keys: BackupKeys; pinned: Authenticated },
  staging: string,
  stagingFiles: string | null,
  say: (line: string) => void,
): Promise<{ manifest: Manifest; files: number }> {
  const conn = await connectVerbatim(options.access, staging);
  try {
    // Dump parts are consecutive entries of one SQL stream: one loader runs them all.
    const loader = new SqlLoader(conn);
    let files = 0;
    const manifest = await readBackup(source.file, {
      ...source.keys,
      pinned: source.pinned,
      onProgress: progressEvery(say),
      sink: (name) => {
        if (name.startsWith(DATABASE_PREFIX)) return continuing(loader);
        if (name.startsWith(FILES_PREFIX) && stagingFiles) {
          const rel = normalize(name.slice(FILES_PREFIX.length));
          if (rel.startsWith('..') || rel.startsWith('/')) throw new Error(`unsafe path ${name}`);
          files++;
          return lazyFile(join(stagingFiles, rel));
        }
        return null;
      },
    });
    await finished(loader.end());
    say(`   ${loader.statements} SQL statements run`);
    await conn.end();
    return { manifest, files };
  } catch (error) {
    conn.destroy(); // stops a statement still running; the staging database is dropped next
    throw error;
  }
}

/** A writable for one dump part that feeds the shared loader and leaves it open for the next. */
function continuing(loader: Writable): Writable {
  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, callback) {
      loader.write(chunk, callback);
    },
  });
}

/** A file writer that creates its folder first. */
function lazyFile(path: string): Writable {
  let out: Writable | null = null;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const ready: Promise<Writable> = out
        ? Promise.resolve(out)
        : mkdir(dirname(path), { recursive: true, mode: 0o700 }).then(
            () => (out = createWriteStream(path, { mode: 0o600 })),
          );
      ready.then(
        (o) => {
          if (o.write(chunk)) callback();
          else o.once('drain', () => callback());
        },
        (error: Error) => callback(error),
      );
    },
    final(callback) {
      if (!out) {
        void mkdir(dirname(path), { recursive: true, mode: 0o700 })
          .then(() => {
            createWriteStream(path, { mode: 0o600 }).end(() => callback());
          })
          .catch(callback);
      } else out.end(() => callback());
    },
  });
}

function assertCounts(actual: Record<string, number>, expected: Record<string, number>): void {
  const names = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const name of names) {
    if (actual[name] !== expected[name]) {
      throw new BackupRefusedError(
        `restore refused: table ${name} has ${actual[name] ?? 'no'} rows after restoring, the manifest says ${expected[name] ?? 'none'}; nothing was changed`,
      );
    }
  }
}

async function moveIfExists(from: string, to: string): Promise<void> {
  try {
    await stat(from);
  } catch {
    return;
  }
  await rename(from, to);
}

function progressEvery(say: (line: string) => void): (bytes: number) => void {
  let next = 0;
  return (bytes) => {
    if (bytes >= next) {
      say(`   ${(bytes / 1048576).toFixed(1)} MiB read`);
      next = bytes + 64 * 1048576;
    }
  };
}
