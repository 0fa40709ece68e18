import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLUMNS } from '../../../app/storage/atRest/columns.ts';
import type { Db } from '../../../app/storage/db.ts';
import { createBackup } from '../../../backup/archive/createBackup.ts';
import { gnupgHome, keyPair, testAccess } from '../../backup/fixtures.ts';
import { testDb, truncateAll } from '../../harness/db.ts';
import { startTestParley, type TestParley } from '../../harness/parley.ts';
import { allLogLines, containing, dumpDatabase, readTree } from '../helpers.ts';
import { COLUMN_INPUTS } from './columnInputs.ts';
import { CARDS, runInputPaths, type PathOutcomes } from './inputPaths.ts';

// Issue 12: no full card number at rest, whatever the input. The columns come from the database's
// own information schema, so a column added without saying how input reaches it fails here.

let t: TestParley;
let db: Db;
let outcomes: PathOutcomes;
const logs = allLogLines();

interface Column {
  table: string;
  column: string;
  type: string;
  chars: number | null;
}

async function textColumns(): Promise<Column[]> {
  const rows: Column[] = await db('information_schema.columns')
    .where('table_schema', db.raw('DATABASE()'))
    .whereIn('data_type', [
      'char',
      'varchar',
      'tinytext',
      'text',
      'mediumtext',
      'longtext',
      'json',
      'enum',
      'set',
    ])
    .orderBy(['table_name', 'ordinal_position'])
    .select(
      'table_name as table',
      'column_name as column',
      'data_type as type',
      'character_maximum_length as chars',
    );
  return rows.map((row) => ({ ...row, chars: row.chars === null ? null : Number(row.chars) }));
}

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  t = await startTestParley({}, logs.log);
  outcomes = await runInputPaths(t, db);
}, 120_000);
afterAll(async () => {
  await t.close();
  await db.destroy();
});

describe('no card number at rest (issue 12)', () => {
  it('knows every text column of every table: how input reaches it, and what storage does', async () => {
    const columns = await textColumns();
    const names = columns.map((c) => `${c.table}.${c.column}`);
    expect(Object.keys(COLUMN_INPUTS).sort()).toEqual([...names].sort());
    const declared = Object.entries(COLUMNS).flatMap(([table, cols]) =>
      Object.keys(cols).map((column) => `${table}.${column}`),
    );
    expect(declared.sort()).toEqual([...names].sort());
    // Free text is cut to the column's own length after masking (a CVC becomes "[removed]").
    for (const { table, column, type, chars } of columns) {
      const kind = COLUMNS[table]![column]!;
      if (kind.kind === 'text' && type === 'varchar')
        expect([table, column, kind.max]).toEqual([table, column, chars]);
    }
  });

  it('runs every input path: each accepted one reached its column masked, each identifier was refused', async () => {
    for (const [name, inputs] of Object.entries(COLUMN_INPUTS)) {
      if ('none' in inputs) continue;
      const [table, column] = name.split('.') as [string, string];
      for (const tag of inputs.written ?? []) {
        expect([name, tag, outcomes.written.has(tag)]).toEqual([name, tag, true]);
        const values = (await db(table)
          .whereRaw('?? LIKE ?', [column, `%${tag}%`])
          .pluck(column)) as unknown[];
        const found = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
        expect([name, tag, found.length > 0]).toEqual([name, tag, true]);
        expect(containing(found, CARDS)).toEqual([]);
        expect(found.join(' ')).toMatch(/•/); // masked, not dropped
      }
      for (const tag of inputs.refused ?? []) {
        expect([name, tag, outcomes.refused.get(tag)]).toEqual([name, tag, 'invalid_input']);
      }
    }
  });

  it('holds no full card number in any column, log line or stored file', async () => {
    const everywhere = [
      ...(await dumpDatabase(db)),
      ...logs.lines,
      ...readTree(t.config.env.PARLEY_FILES_DIR),
    ];
    expect(everywhere.length).toBeGreaterThan(100);
    expect(containing(everywhere, CARDS)).toEqual([]);
  });

  it('holds none in a decrypted backup either', async () => {
    const it_ = await keyPair('IT');
    const signer = await keyPair('appliance');
    const work = mkdtempSync(join(tmpdir(), 'parley-atrest-'));
    const backup = await createBackup({
      access: testAccess(),
      dir: join(work, 'backups'),
      filesDir: t.config.env.PARLEY_FILES_DIR,
      recipients: it_.publicKey,
      signingKey: signer.privateKey,
      parleyVersion: '0.1.0',
    });
    const gnupg = gnupgHome(it_.privateKey);
    const out = join(work, 'out');
    execFileSync(
      'bash',
      [
        '-c',
        `mkdir -p "${out}" && gpg --batch --decrypt "${backup.file}" 2>/dev/null | tar -xzf - -C "${out}"`,
      ],
      { env: { ...process.env, GNUPGHOME: gnupg } },
    );
    const texts = readTree(out);
    const sql = texts.filter((text) => text.includes('INSERT INTO'));
    expect(sql.join('\n')).toContain('prechat-question'); // the dump holds the conversation
    expect(sql.join('\n')).toContain('agent-chat-message'); // and the agents' own (issue 14)
    expect(containing(texts, CARDS)).toEqual([]);
    expect(statSync(backup.file).size).toBeGreaterThan(0);
    expect(readdirSync(out)).toContain('parley-backup');
    expect(readFileSync(join(out, 'parley-backup', 'manifest.json'), 'utf8')).toContain('parts');
  });
});
