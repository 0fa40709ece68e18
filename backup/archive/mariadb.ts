import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { dbTls } from '../../app/storage/db.ts';

export interface DbAccess {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The CA of the server's certificate: TLS, verified (PARLEY_DB_TLS_CA_FILE); absent: plain TCP. */
  tlsCaFile?: string;
}

/**
 * Runs `fn` with a mode-600 option file holding the credentials, so the password never appears
 * on a command line (visible in `ps`); the file is removed afterwards.
 */
export async function withDefaultsFile<T>(
  access: DbAccess,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-db-'));
  const path = join(dir, 'client.cnf');
  const quoted = access.password.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  await writeFile(
    path,
    `[client]\nhost="${access.host}"\nport=${access.port}\nuser="${access.user}"\npassword="${quoted}"\nprotocol=TCP\n` +
      (access.tlsCaFile ? `ssl-ca="${access.tlsCaFile}"\nssl-verify-server-cert\n` : ''),
    { mode: 0o600 },
  );
  try {
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Waits for a child process and rejects with the tail of its stderr when it fails. */
export function exited(child: ChildProcess, what: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${what} failed (${signal ?? code}): ${stderr.trim().split('\n').pop() ?? ''}`),
        );
    });
  });
}

/**
 * `binlog`: the server writes a binary log, so the dump records (as a comment) the log position of
 * its own snapshot, for point-in-time recovery; with --single-transaction MariaDB reads it from
 * the snapshot (binlog_snapshot_file/_position), which needs no privilege beyond the database's.
 */
export function spawnDump(defaultsFile: string, database: string, binlog = false): ChildProcess {
  const args = [
    `--defaults-extra-file=${defaultsFile}`, // must come first
    ...(binlog ? ['--master-data=2'] : []),
    '--single-transaction',
    '--quick',
    '--hex-blob',
    '--routines',
    '--triggers',
    '--skip-lock-tables',
    '--default-character-set=utf8mb4',
    database,
  ];
  // mariadb-dump writes its pipe 4 KiB at a time (136,000 writes for 560 MB, and as many reads
  // here); coreutils' stdbuf gives its stdout a 1 MiB buffer: ~2 s less CPU on both sides.
  const stdbuf = ['/usr/bin/stdbuf', '/bin/stdbuf'].find((path) => existsSync(path));
  const [command, prefix] = stdbuf ? [stdbuf, ['-o', '1M', 'mariadb-dump']] : ['mariadb-dump', []];
  return spawn(command, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function clientOptions(access: DbAccess, database: string | null) {
  return {
    host: access.host,
    port: access.port,
    user: access.user,
    password: access.password,
    ...(database ? { database } : {}),
    ...dbTls(access.tlsCaFile ?? ''),
  };
}

export function connect(access: DbAccess, database: string | null = access.database) {
  return mysql.createConnection({
    ...clientOptions(access, database),
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
}

/**
 * A connection that sends SQL text byte for byte, as the mariadb client does: the text is given
 * as a latin1 string (one char per byte, which Node keeps outside the JS heap when large) and
 * sent unchanged; the server reads it as utf8mb4. No placeholders are expanded.
 */
export async function connectVerbatim(access: DbAccess, database: string) {
  const conn = await mysql.createConnection({
    ...clientOptions(access, database),
    charset: 'BINARY',
    // Without session tracking, the driver does not follow SET NAMES by re-encoding our text.
    flags: ['-SESSION_TRACK'],
    queryFormat: (sql: string) => sql,
  });
  await conn.query('SET NAMES utf8mb4');
  return conn;
}

/**
 * A cross-process lock held by a dedicated connection: MariaDB releases it when that connection
 * ends, so a killed process never leaves a stale lock behind. Returns null when it is taken.
 */
export async function takeLock(
  access: DbAccess,
  name: string,
): Promise<{ release(): Promise<void> } | null> {
  const conn = await connect(access);
  const lockName = `${access.database}.${name}`;
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS got', [
    lockName,
  ]);
  if (Number(rows[0]?.got) !== 1) {
    await conn.end();
    return null;
  }
  return {
    release: async () => {
      // Released explicitly: the server may finish closing a connection after the next GET_LOCK.
      await conn.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => {});
      await conn.end();
    },
  };
}

const BINLOG_LINE = /^-- CHANGE MASTER TO MASTER_LOG_FILE='([^'\\]+)', MASTER_LOG_POS=(\d+);$/m;

/** The binary log position a dump made with --master-data=2 records near its start, if any. */
export function binlogPosition(dumpStart: string): { file: string; position: number } | null {
  const match = BINLOG_LINE.exec(dumpStart);
  return match ? { file: match[1]!, position: Number(match[2]) } : null;
}

/** Row counts of every base table in a database (exact, COUNT(*)). */
export async function countRows(
  access: DbAccess,
  database: string,
): Promise<Record<string, number>> {
  const conn = await connect(access, database);
  try {
    const counts: Record<string, number> = {};
    for (const table of await baseTables(conn, database)) {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM \`${table}\``,
      );
      counts[table] = Number(rows[0]?.n);
    }
    return counts;
  } finally {
    await conn.end();
  }
}

export async function baseTables(conn: mysql.Connection, database: string): Promise<string[]> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [database],
  );
  return rows.map((r) => String(r.t));
}
