import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as openpgp from 'openpgp';
import tar from 'tar-stream';
import {
  DATABASE_PREFIX,
  FILES_PREFIX,
  HEADER,
  MANIFEST,
  type BackupHeader,
  type Manifest,
} from './manifest.ts';
import {
  binlogPosition,
  connect,
  exited,
  spawnDump,
  withDefaultsFile,
  type DbAccess,
} from './mariadb.ts';
import { withBackupLock } from './backupLock.ts';
import { collector } from './gcTuning.ts';
import { RowCounter } from './rowCounter.ts';
import { backupName } from '../../app/storage/backupStatus.ts';
import { fsyncPath } from '../../app/storage/fsync.ts';
import { ParallelGzip, digestOf, measure, pullStream } from './streams.ts';

// A dump part is buffered whole because a tar header needs its size: this bounds memory.
const PART_BYTES = 4 * 1024 * 1024;
const HEAD_CHARS = 16 * 1024;

export interface BackupOptions {
  access: DbAccess;
  dir: string;
  filesDir?: string | null;
  /** Armored public keys (one or more) of those who may decrypt. */
  recipients: string;
  /** The appliance's armored signing key (unprotected). */
  signingKey: string;
  parleyVersion: string;
  now?: () => Date;
  /** For tests: called after each dump part is archived. */
  onPart?: (name: string) => void | Promise<void>;
  /** For tests: an archive as Parley made them before it began with the header entry. */
  withoutHeader?: boolean;
}

export interface BackupResult {
  file: string;
  name: string;
  size: number;
  sha256: string;
  manifest: Manifest;
}

export function createBackup(options: BackupOptions): Promise<BackupResult> {
  return withBackupLock(options.access, options.dir, () => writeBackup(options));
}

/** Writes one backup to the folder; call it holding the backup lock (withBackupLock). */
export async function writeBackup(options: BackupOptions): Promise<BackupResult> {
  const createdAt = (options.now ?? (() => new Date()))();
  const name = backupName(createdAt);
  const file = join(options.dir, name);
  const tmp = join(options.dir, `.${name}.${process.pid}.tmp`);
  const recipients = await openpgp.readKeys({ armoredKeys: options.recipients });
  const signingKey = await openpgp.readPrivateKey({ armoredKey: options.signingKey });
  const facts = await databaseFacts(options.access);

  const pack = tar.pack();
  const gzip = new ParallelGzip(1);
  const tarBytes = Readable.from(pack);
  tarBytes.pipe(gzip);
  tarBytes.on('error', (e) => gzip.destroy(e));
  const message = await openpgp.createMessage({ binary: pullStream(gzip) });
  const encrypted = (await openpgp.encrypt({
    message,
    encryptionKeys: recipients,
    signingKeys: signingKey,
    format: 'binary',
    config: { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed },
  })) as ReadableStream<Uint8Array>;
  const out = measure();
  const writing = pipeline(
    Readable.fromWeb(encrypted as never),
    out,
    createWriteStream(tmp, { mode: 0o600 }),
  );

  let producing: Promise<Manifest> | undefined;
  try {
    producing = produce(pack, options, facts, createdAt).catch((error: unknown) => {
      pack.destroy(error as Error);
      throw error;
    });
    const [manifest] = await Promise.all([producing, writing]);
    // Verified before it gets its final name: what is on disk is exactly what was written.
    const onDisk = await digestOf(createReadStream(tmp));
    if (onDisk.size !== out.size || onDisk.sha256 !== out.digest()) {
      throw new Error('the written backup does not read back identically');
    }
    await fsyncPath(tmp);
    await writeFile(join(options.dir, `${name}.sha256`), `${onDisk.sha256}  ${name}\n`, {
      mode: 0o600,
    });
    await rename(tmp, file);
    await fsyncPath(options.dir);
    return { file, name, size: onDisk.size, sha256: onDisk.sha256, manifest };
  } catch (error) {
    pack.destroy(error as Error);
    await Promise.allSettled([producing, writing]);
    await rm(tmp, { force: true });
    throw error;
  }
}

async function produce(
  pack: tar.Pack,
  options: BackupOptions,
  { migration, binlog }: DatabaseFacts,
  createdAt: Date,
): Promise<Manifest> {
  const header: BackupHeader = {
    format: 1,
    parleyVersion: options.parleyVersion,
    migration,
    createdAt: createdAt.toISOString(),
    database: options.access.database,
  };
  const parts: Manifest['parts'] = options.withoutHeader
    ? []
    : [await addEntry(pack, HEADER, Buffer.from(JSON.stringify(header, null, 2)))];
  const counter = new RowCounter();
  const collect = collector();
  let head = ''; // the dump's first lines: where --master-data writes the binlog position
  await withDefaultsFile(options.access, async (defaults) => {
    const dump = spawnDump(defaults, options.access.database, binlog);
    const done = exited(dump, 'mariadb-dump');
    let buffer = Buffer.allocUnsafe(PART_BYTES);
    let used = 0;
    // One part is archived while the next is read from the dump, so both run at once.
    let inFlight: Promise<void> = Promise.resolve();
    let count = 0;
    const flush = async () => {
      const body = buffer.subarray(0, used);
      const partName = `${DATABASE_PREFIX}${String(++count).padStart(5, '0')}.sql`;
      buffer = Buffer.allocUnsafe(PART_BYTES);
      used = 0;
      await inFlight;
      inFlight = addEntry(pack, partName, body).then(async (part) => {
        parts.push(part);
        await options.onPart?.(partName);
      });
      inFlight.catch(() => {}); // awaited at the next part or the end
    };
    try {
      for await (const data of dump.stdout!) {
        const chunk = data as Buffer;
        counter.push(chunk);
        collect(chunk.length);
        if (head.length < HEAD_CHARS) head += chunk.toString('latin1', 0, HEAD_CHARS - head.length);
        let offset = 0;
        while (offset < chunk.length) {
          const n = chunk.copy(buffer, used, offset);
          used += n;
          offset += n;
          if (used === PART_BYTES) await flush();
        }
      }
      await done;
    } catch (error) {
      dump.kill('SIGKILL');
      throw error;
    }
    if (used > 0 || count === 0) await flush();
    await inFlight;
  });
  if (options.filesDir) {
    for (const path of await listFiles(options.filesDir)) {
      const rel = relative(options.filesDir, path).split('\\').join('/');
      if (rel.startsWith('tmp/')) continue; // uploads still being scanned, not yet stored
      parts.push(await addFile(pack, `${FILES_PREFIX}${rel}`, path));
    }
  }
  const manifest: Manifest = {
    ...header,
    tables: counter.counts,
    parts,
    binlog: binlog ? binlogPosition(head) : null,
  };
  if (binlog && !manifest.binlog) throw new Error('mariadb-dump recorded no binary log position');
  await addEntry(pack, MANIFEST, Buffer.from(JSON.stringify(manifest, null, 2)));
  pack.finalize();
  return manifest;
}

function addEntry(pack: tar.Pack, name: string, body: Buffer): Promise<Manifest['parts'][number]> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry(
      { name, size: body.length, mode: 0o600, mtime: new Date() },
      (err?: Error | null) =>
        err ? reject(err) : resolve({ name, size: body.length, sha256: sha256(body) }),
    );
    entry.on('error', reject);
    entry.end(body);
  });
}

async function addFile(
  pack: tar.Pack,
  name: string,
  path: string,
): Promise<Manifest['parts'][number]> {
  const { size, mtime } = await stat(path);
  const hash = measure();
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name, size, mode: 0o600, mtime }, (err?: Error | null) =>
      err ? reject(err) : resolve(),
    );
    pipeline(createReadStream(path), hash, entry as never).catch(reject);
  });
  if (hash.size !== size) throw new Error(`file changed while being archived: ${name}`);
  return { name, size, sha256: hash.digest() };
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

interface DatabaseFacts {
  /** The schema's newest migration. */
  migration: string;
  /** Whether the server writes a binary log (then the dump records its position). */
  binlog: boolean;
}

async function databaseFacts(access: DbAccess): Promise<DatabaseFacts> {
  const conn = await connect(access);
  try {
    const [rows] = await conn.query('SELECT name FROM knex_migrations ORDER BY id DESC LIMIT 1');
    const name = (rows as { name: string }[])[0]?.name;
    if (!name) throw new Error('the database has no migrations applied; run `make migrate` first');
    const [log] = await conn.query('SELECT @@log_bin AS on_');
    return { migration: name, binlog: Number((log as { on_: unknown }[])[0]?.on_) === 1 };
  } finally {
    await conn.end();
  }
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
