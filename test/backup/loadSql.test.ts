import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlLoader } from '../../backup/archive/loadSql.ts';
import {
  connect,
  connectVerbatim,
  spawnDump,
  withDefaultsFile,
} from '../../backup/archive/mariadb.ts';
import { BackupRefusedError } from '../../backup/archive/refused.ts';
import { testAccess } from './fixtures.ts';

const access = testAccess();
const source = `${access.database}_loadsql_src`;
const target = `${access.database}_loadsql_dst`;

// Values a dump must carry exactly: quotes, backslashes, NUL, ^Z, line breaks, comment and
// delimiter look-alikes, four-byte UTF-8, and bytes that are not text at all.
const texts = [
  "it's; done",
  'back\\slash\\',
  'nul\0byte and ^Z\x1a',
  'line\nbreak\r\n',
  '-- not a comment; /* nor this */ # nor this',
  'DELIMITER ;;',
  '"double" `back` quotes',
  'emoji 😀 and é and 中文',
  '',
];

async function run(sql: string[]): Promise<void> {
  const conn = await connect(access, null);
  try {
    for (const statement of sql) await conn.query(statement);
  } finally {
    await conn.end();
  }
}

function load(dump: Buffer, chunk: number): Promise<number> {
  return (async () => {
    const conn = await connectVerbatim(access, target);
    try {
      const loader = new SqlLoader(conn);
      for (let at = 0; at < dump.length; at += chunk) {
        const piece = dump.subarray(at, at + chunk);
        await new Promise<void>((resolve, reject) =>
          loader.write(piece, (e) => (e ? reject(e) : resolve())),
        );
      }
      await finished(loader.end());
      return loader.statements;
    } finally {
      await conn.end().catch(() => {});
    }
  })();
}

async function checksums(database: string): Promise<unknown> {
  const conn = await connect(access, database);
  try {
    const [rows] = await conn.query('CHECKSUM TABLE things, blobs EXTENDED');
    return (rows as { Checksum: string }[]).map((r) => r.Checksum);
  } finally {
    await conn.end();
  }
}

let dump: Buffer;

beforeAll(async () => {
  await run([
    `DROP DATABASE IF EXISTS \`${source}\``,
    `CREATE DATABASE \`${source}\` CHARACTER SET utf8mb4`,
    `CREATE TABLE \`${source}\`.things (id INT PRIMARY KEY, body TEXT, note VARCHAR(50)) CHARSET utf8mb4`,
    `CREATE TABLE \`${source}\`.blobs (id INT PRIMARY KEY, data LONGBLOB) CHARSET utf8mb4`,
  ]);
  const conn = await connect(access, source);
  for (const [i, text] of texts.entries()) {
    await conn.query('INSERT INTO things VALUES (?, ?, ?)', [i, text, i % 2 ? null : `n${i}`]);
  }
  // Big enough that rows spread over several INSERT statements.
  for (let i = 0; i < 40; i++) {
    const bytes = Buffer.alloc(32 * 1024, i);
    bytes.write("';\\\n", i);
    await conn.query('INSERT INTO blobs VALUES (?, ?)', [i, bytes]);
  }
  await conn.end();
  dump = await withDefaultsFile(access, async (defaults) => {
    const child = spawnDump(defaults, source);
    const chunks: Buffer[] = [];
    for await (const c of child.stdout!) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  });
});

afterAll(async () => {
  await run([`DROP DATABASE IF EXISTS \`${source}\``, `DROP DATABASE IF EXISTS \`${target}\``]);
});

describe('SqlLoader', () => {
  it('loads a real mariadb-dump byte for byte, whatever the chunk size', async () => {
    const want = await checksums(source);
    for (const chunk of [7, 4093, 1 << 20]) {
      await run([
        `DROP DATABASE IF EXISTS \`${target}\``,
        `CREATE DATABASE \`${target}\` CHARACTER SET utf8mb4`,
      ]);
      const statements = await load(dump, chunk);
      expect(statements).toBeGreaterThan(10);
      expect(await checksums(target)).toEqual(want);
    }
    const conn = await connect(access, target);
    const [rows] = await conn.query('SELECT body FROM things ORDER BY id');
    await conn.end();
    expect((rows as { body: string }[]).map((r) => r.body)).toEqual(texts);
  }, 120_000);

  it('stops at a statement the server refuses, naming its number and code but no data', async () => {
    await run([
      `DROP DATABASE IF EXISTS \`${target}\``,
      `CREATE DATABASE \`${target}\` CHARACTER SET utf8mb4`,
    ]);
    const bad = Buffer.from(
      "CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1),('secret-card-4111');\nINSERT INTO t VALUES (3);\n",
    );
    const attempt = load(bad, 16);
    await expect(attempt).rejects.toBeInstanceOf(BackupRefusedError);
    await expect(attempt).rejects.toThrow(
      /statement 3 of the database dump could not be run \(ER_/,
    );
    await expect(attempt).rejects.not.toThrow(/secret|4111|INSERT/);
    const conn = await connect(access, target);
    const [rows] = await conn.query('SELECT id FROM t');
    await conn.end();
    expect(rows).toEqual([{ id: 1 }]);
  });
});
