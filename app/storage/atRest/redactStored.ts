import type { Knex } from 'knex';
import { MASK_CHAR, maskCardNumbers } from '../../shared/cardNumbers.ts';
import { maskDeep } from '../../shared/maskDeep.ts';
import { ER_DUP_ENTRY, sqlErrno } from '../db.ts';
import { COLUMNS } from './columns.ts';
import { knexOf } from '../db.ts';
import type { Store } from '../store.ts';

// Card numbers an older Parley stored before the storage boundary existed (issue 12): found in every
// text column the boundary knows, masked in place. The audit log is not touched here: its entries
// are hash-chained and are redacted by app/domain/audit/redactChain.ts.

/** Columns left alone: the chained audit log, random UUIDs, migration names, role references. */
const SKIPPED = new Set([
  'knex_migrations.name',
  // These follow roles.name by ON UPDATE CASCADE; masking them first would break the reference.
  'agents.role',
  'ip_rules.role',
  'permission_grants.role',
]);

/** Any run of 13 or more digits joined by single separators: the rows worth a closer look. */
const CANDIDATE = '[0-9]([ \u00a0.-]?[0-9]){12}';
const PAGE = 1000;

export interface RedactedColumn {
  table: string;
  column: string;
  rows: number;
}

async function primaryKey(trx: Knex, table: string): Promise<string[]> {
  return (await trx('information_schema.key_column_usage')
    .where({ table_schema: trx.raw('DATABASE()'), table_name: table, constraint_name: 'PRIMARY' })
    .orderBy('ordinal_position')
    .pluck('column_name')) as string[];
}

function masked(value: unknown, json: boolean): unknown {
  if (value === null || value === undefined) return value;
  if (!json) return typeof value === 'string' ? maskCardNumbers(value).text : value;
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  const result = maskDeep(parsed);
  return result === parsed ? value : JSON.stringify(result);
}

/** ASCII columns (identifiers) cannot hold the mask character; they get "*" instead. */
async function isAscii(trx: Knex, table: string, column: string): Promise<boolean> {
  const row: { charset: string | null } | undefined = await trx('information_schema.columns')
    .where({ table_schema: trx.raw('DATABASE()'), table_name: table, column_name: column })
    .first('character_set_name as charset');
  return row?.charset === 'ascii';
}

/** Updates one row; two identifiers that mask alike get the row's key appended (unique indexes). */
async function update(
  trx: Knex,
  table: string,
  where: Record<string, unknown>,
  column: string,
  value: unknown,
): Promise<number> {
  try {
    return await trx(table)
      .where(where)
      .update({ [column]: value });
  } catch (error) {
    if (sqlErrno(error) !== ER_DUP_ENTRY || typeof value !== 'string') throw error;
    const suffix = `-${Object.values(where).map(String).join('-')}`;
    return trx(table)
      .where(where)
      .update({ [column]: value + suffix });
  }
}

async function redactColumn(
  trx: Knex,
  table: string,
  column: string,
  json: boolean,
): Promise<number> {
  const key = await primaryKey(trx, table);
  const ascii = await isAscii(trx, table, column);
  const paged = key.length === 1;
  let after: unknown = null;
  let count = 0;
  for (;;) {
    const query = trx(table)
      .select(...key, trx.raw('CAST(?? AS CHAR) AS value', [column]))
      .whereRaw('CONVERT(?? USING utf8mb4) REGEXP ?', [column, CANDIDATE]);
    if (paged) {
      if (after !== null) void query.where(key[0]!, '>', after as Knex.Value);
      void query.orderBy(key[0]!).limit(PAGE);
    }
    const rows = (await query) as Record<string, unknown>[];
    for (const row of rows) {
      let value = masked(row.value, json);
      if (value === row.value) continue;
      if (ascii && typeof value === 'string') value = value.replaceAll(MASK_CHAR, '*');
      const where = Object.fromEntries(key.map((name) => [name, row[name]]));
      count += await update(trx, table, where, column, value);
    }
    if (!paged || rows.length < PAGE) return count;
    after = rows.at(-1)![key[0]!];
  }
}

/** Masks every stored card number outside the audit log; says where, in counts only. */
export async function redactStoredText(store: Store): Promise<RedactedColumn[]> {
  const trx = knexOf(store);
  const found: RedactedColumn[] = [];
  // Roles first: a role name's references follow it by ON UPDATE CASCADE.
  const tables = Object.keys(COLUMNS).sort((a, b) => Number(b === 'roles') - Number(a === 'roles'));
  // Only what exists now: the migration runs before later migrations add tables and columns.
  const present: { t: string; c: string }[] = await trx('information_schema.columns')
    .where('table_schema', trx.raw('DATABASE()'))
    .select('table_name as t', 'column_name as c');
  const existing = new Set(present.map((row) => `${row.t}.${row.c}`));
  for (const table of tables) {
    if (table === 'audit_events') continue;
    for (const [column, kind] of Object.entries(COLUMNS[table]!)) {
      if (kind.kind === 'uuid' || SKIPPED.has(`${table}.${column}`)) continue;
      if (!existing.has(`${table}.${column}`)) continue;
      const json = kind.kind === 'json' || (kind.kind === 'checked' && kind.json === true);
      const rows = await redactColumn(trx, table, column, json);
      if (rows > 0) found.push({ table, column, rows });
    }
  }
  return found;
}
