import type { Knex } from 'knex';

// The dr_failovers table (migration 20261209100000): what `make failover` and `make failback`
// did, replicated to the other site once it rejoins; `offsite`: a site rebuilt from the backups.

export interface FailoverRecord {
  at: Date;
  kind: 'failover' | 'failback' | 'offsite';
  fromSite: string;
  toSite: string;
  forced: boolean;
  recoveryPoint: string;
  lostTransactions: number | null;
  promotedAtGtid: string;
  by: string;
}

export async function lastFailover(db: Knex, database: string): Promise<FailoverRecord | null> {
  const row = (await db.withSchema(database).from('dr_failovers').orderBy('id', 'desc').first()) as
    Record<string, string | number | Date | null> | undefined;
  if (!row) return null;
  return {
    at: new Date(row.at as Date),
    kind: row.kind as FailoverRecord['kind'],
    fromSite: String(row.from_site),
    toSite: String(row.to_site),
    forced: Boolean(row.forced),
    recoveryPoint: String(row.recovery_point),
    lostTransactions: row.lost_transactions === null ? null : Number(row.lost_transactions),
    promotedAtGtid: String(row.promoted_at_gtid),
    by: String(row.by),
  };
}

export async function recordFailover(
  db: Knex,
  database: string,
  record: FailoverRecord,
): Promise<void> {
  await db
    .withSchema(database)
    .into('dr_failovers')
    .insert({
      at: record.at,
      kind: record.kind,
      from_site: record.fromSite,
      to_site: record.toSite,
      forced: record.forced,
      recovery_point: record.recoveryPoint.slice(0, 1000),
      lost_transactions: record.lostTransactions,
      promoted_at_gtid: record.promotedAtGtid.slice(0, 255),
      by: record.by.slice(0, 255),
    });
}
