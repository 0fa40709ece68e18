import type { Knex } from 'knex';
import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// The audit log's tables: `audit_events` (hash-chained entries), `audit_chain_head` (one row: the
// newest id and hash, locked by every writer) and `audit_chain_anchor` (one row: the last entry
// retention deleted). The chain's rules are in app/domain/audit/; this is only the SQL.

export type Outcome = 'success' | 'failure' | 'denied';

export interface AuditRow {
  id: number;
  at: Date;
  actor_kind: 'agent' | 'visitor' | 'system';
  actor_id: number | null;
  actor_label: string;
  ip: string;
  user_agent: string;
  action: string;
  target_kind: string;
  target_id: string;
  department_id: number | null;
  outcome: Outcome;
  /** The canonical JSON text exactly as stored (CAST to text: what was hashed). */
  details: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

/** The predecessor of the first entry, and the head of an empty log. */
export const GENESIS = Buffer.alloc(32);

export interface ChainPoint {
  id: number;
  hash: Buffer;
}

const HEAD = 'audit_chain_head';
const ANCHOR = 'audit_chain_anchor';

/** Every column but details, which is read as its stored text. */
const ROW_COLUMNS = [
  'id',
  'at',
  'actor_kind',
  'actor_id',
  'actor_label',
  'ip',
  'user_agent',
  'action',
  'target_kind',
  'target_id',
  'department_id',
  'outcome',
  'prev_hash',
  'hash',
] as const;

/** Rows of audit_events with details as the stored text, which is what was hashed. */
export function auditRowQuery(store: Store) {
  const db = knexOf(store);
  return db('audit_events').select(
    ...ROW_COLUMNS,
    db.raw('CAST(details AS CHAR) AS details'),
  ) as Knex.QueryBuilder<AuditRow, AuditRow[]>;
}

type PointRow = { id: number | string; hash: Buffer };
const point = (row: PointRow | undefined): ChainPoint | null =>
  row ? { id: Number(row.id), hash: row.hash } : null;

export function auditEventsRepo(store: Store) {
  const db = knexOf(store);
  return {
    /** The head row, seeded from the newest entry when missing (the migration seeds it too). */
    async seedHead(): Promise<void> {
      const last = await db<{ id: number; hash: Buffer }>('audit_events')
        .orderBy('id', 'desc')
        .first('id', 'hash');
      await db(HEAD)
        .insert({ id: 1, last_id: last?.id ?? 0, last_hash: last?.hash ?? GENESIS })
        .onConflict('id')
        .ignore();
    },

    /** The head, locked until the transaction ends (a locking read of a row that always exists). */
    async lockHead(): Promise<ChainPoint | null> {
      const row: PointRow | undefined = await db(HEAD)
        .where({ id: 1 })
        .forUpdate()
        .first('last_id as id', 'last_hash as hash');
      return point(row);
    },

    async head(): Promise<ChainPoint | null> {
      const row: PointRow | undefined = await db(HEAD)
        .where({ id: 1 })
        .first('last_id as id', 'last_hash as hash');
      return point(row);
    },

    moveHead: (to: ChainPoint) =>
      db(HEAD).where({ id: 1 }).update({ last_id: to.id, last_hash: to.hash }),

    append: (row: AuditRow) => db('audit_events').insert(row),

    /** Entries after `id`, oldest first. */
    after: (id: number, limit: number): Promise<AuditRow[]> =>
      auditRowQuery(db).where('id', '>', id).orderBy('id').limit(limit),

    byId: (id: number): Promise<AuditRow | undefined> => auditRowQuery(db).where({ id }).first(),

    byHash: (hash: Buffer): Promise<AuditRow | undefined> =>
      auditRowQuery(db).where({ hash }).first(),

    async newestId(): Promise<number> {
      const [row] = await db('audit_events').max<{ id: number | null }[]>('id as id');
      return Number(row?.id ?? 0);
    },

    /** Where the chain starts: the anchor left by retention, or genesis. */
    async start(): Promise<ChainPoint> {
      const anchor: PointRow | undefined = await db(ANCHOR)
        .where({ id: 1 })
        .first('anchor_id as id', 'anchor_hash as hash');
      return point(anchor) ?? { id: 0, hash: GENESIS };
    },

    /** Locks the anchor row so two retention runs never move it at once. */
    lockAnchor: () => db.raw(`SELECT id FROM ${ANCHOR} WHERE id = 1 FOR UPDATE`),

    /** Deletes entries after `from` up to `through`, and makes `through` the anchor. */
    async deleteThrough(from: number, through: ChainPoint, at: Date): Promise<void> {
      await db('audit_events').where('id', '>', from).where('id', '<=', through.id).delete();
      await db(ANCHOR)
        .insert({ id: 1, anchor_id: through.id, anchor_hash: through.hash, moved_at: at })
        .onConflict('id')
        .merge();
    },

    /** Writes re-hashed entries back over their own ids (redaction); `at` is never changed. */
    async rewrite(rows: AuditRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db('audit_events')
        .insert(rows)
        .onConflict('id')
        .merge([...ROW_COLUMNS.filter((c) => c !== 'id' && c !== 'at'), 'details']);
    },
  };
}

export type AuditEventsRepo = ReturnType<typeof auditEventsRepo>;
