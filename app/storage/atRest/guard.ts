import type { Knex } from 'knex';
import { columnText } from '../../shared/columnText.ts';
import { maskCardNumbers } from '../../shared/cardNumbers.ts';
import { holdsCardData, maskDeep } from '../../shared/maskDeep.ts';
import { columnKind, type ColumnKind } from './columns.ts';

// The storage boundary (issue 12): every INSERT and UPDATE knex sends passes here just before it is
// compiled, in every process (app, worker, ops) and every transaction. Card numbers are a property
// of storage, not of each field: a new input path cannot forget to mask.

/** A write that would have put a card number where it may not go (a validation gap: a bug). */
export class CardNumberAtRest extends Error {
  readonly code = 'PARLEY_CARD_NUMBER_AT_REST';
  constructor(where: string) {
    super(`refused to store a card number in ${where}`); // never the value
    this.name = 'CardNumberAtRest';
  }
}

/** A write whose table the boundary cannot tell (a computed table expression). */
export class UndeclaredColumn extends Error {
  readonly code = 'PARLEY_UNDECLARED_COLUMN';
  constructor(where: string) {
    super(`${where} is not declared in app/storage/atRest/columns.ts`);
    this.name = 'UndeclaredColumn';
  }
}

/**
 * Set on a query (`.queryContext(...)`) by a repository writing chat text that a department's admin
 * chose to keep unmasked (issue 6, audited): those columns get security codes removed only.
 */
export interface AtRestContext {
  keepCardNumbers?: readonly string[];
}

interface Builder {
  _method?: string;
  _single?: {
    table?: unknown;
    insert?: unknown;
    update?: unknown;
    merge?: { updates?: unknown };
  };
  sql?: unknown;
  bindings?: unknown;
  queryContext?: () => unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WRITE_SQL = /^\s*(?:insert|update|replace)\b/i;

function tableName(table: unknown): string {
  if (typeof table !== 'string') throw new UndeclaredColumn('a write to a computed table');
  const name = table.split(/\s+as\s+|\s+/i)[0]!.replaceAll('`', '');
  return name.slice(name.lastIndexOf('.') + 1);
}

function storedValue(kind: ColumnKind, value: string, kept: boolean, where: string): string {
  if (kind.kind === 'text') {
    const masked = maskCardNumbers(value, kept ? { mask: false, keep: 'last4' } : undefined).text;
    return columnText(masked, kind.max);
  }
  if (kind.kind === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return maskCardNumbers(value).text;
    }
    const masked = maskDeep(parsed);
    return masked === parsed ? value : JSON.stringify(masked);
  }
  if (kind.kind === 'uuid') {
    if (!UUID.test(value)) throw new CardNumberAtRest(`${where} (not a UUID)`);
    return value;
  }
  const holds = kind.json ? holdsJson(value) : holdsCardData(value);
  if (holds) throw new CardNumberAtRest(where);
  return value;
}

function holdsJson(value: string): boolean {
  try {
    return holdsCardData(JSON.parse(value));
  } catch {
    return holdsCardData(value);
  }
}

function guardRow(table: string, row: unknown, context: AtRestContext): void {
  if (row === null || typeof row !== 'object') return;
  const values = row as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined || typeof value === 'number') continue;
    if (typeof value === 'boolean' || value instanceof Date || Buffer.isBuffer(value)) continue;
    const column = key.slice(key.lastIndexOf('.') + 1);
    const where = `${table}.${column}`;
    const kind = columnKind(table, column);
    if (typeof value !== 'string') {
      // An object or array for a JSON column (the driver serialises it); raw SQL is the server's.
      if (kind?.kind === 'json') values[key] = maskDeep(value);
      else if (kind?.kind === 'checked' && kind.json && holdsCardData(value))
        throw new CardNumberAtRest(where);
      continue;
    }
    if (!kind) {
      // Not a text column the list knows (a number or date given as a string, or a column added
      // since: test/pci/atRest fails until it is declared): it may still never hold a card number.
      if (holdsCardData(value)) throw new CardNumberAtRest(where);
      continue;
    }
    values[key] = storedValue(
      kind,
      value,
      context.keepCardNumbers?.includes(column) ?? false,
      where,
    );
  }
}

/** Checks (and where the column says so, masks in place) the values of one query about to run. */
export function guardWrite(builder: Builder): void {
  if (typeof builder.sql === 'string') {
    // Raw SQL: the columns are unknown, so no string bound into a write may hold a card number.
    if (!WRITE_SQL.test(builder.sql) || !Array.isArray(builder.bindings)) return;
    for (const binding of builder.bindings as unknown[]) {
      if (typeof binding === 'string' && holdsCardData(binding))
        throw new CardNumberAtRest('a raw INSERT or UPDATE');
    }
    return;
  }
  const method = builder._method;
  if (method !== 'insert' && method !== 'update' && method !== 'upsert') return;
  const single = builder._single ?? {};
  const table = tableName(single.table);
  const context = (builder.queryContext?.() ?? {}) as AtRestContext;
  const rows = method === 'update' ? [single.update] : [single.insert].flat();
  for (const row of rows) guardRow(table, row, context);
  const updates = single.merge?.updates;
  if (updates && typeof updates === 'object' && !Array.isArray(updates))
    guardRow(table, updates, context);
}

/** Installs the boundary on a knex instance (and so on every transaction made from it). */
export function guardAtRest(db: Knex): Knex {
  db.on('start', (builder: Builder) => guardWrite(builder));
  return db;
}
