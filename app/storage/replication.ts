import type { Knex } from 'knex';

// What this side's MariaDB says about replication (issue 15). Read by the app's role watch, the
// metrics endpoint and `make dr-status`. The role is the database's: a standby's database runs
// read_only (which, since MariaDB 10.11, binds SUPER too; only READ_ONLY ADMIN passes), so an app
// follows a promotion or a fence without a restart. Needs SLAVE MONITOR for SHOW SLAVE STATUS;
// without it `replica` is reported as unknown, not as absent.

export interface ReplicaState {
  ioRunning: boolean;
  sqlRunning: boolean;
  /** null while the IO or SQL thread is stopped (MariaDB's NULL). */
  secondsBehind: number | null;
  primaryHost: string;
  primaryPort: number;
  /** The GTID position the replica has received (IO) and applied (SQL). */
  receivedGtid: string;
  lastError: string;
  /** Whether the link is TLS (Master_SSL_Allowed). */
  tls: boolean;
}

export interface SemiSyncState {
  /** This side waits for a standby's acknowledgement (rpl_semi_sync_master_enabled). */
  primaryEnabled: boolean;
  /** … and currently does (Rpl_semi_sync_master_status): OFF after a timeout = asynchronous. */
  primaryActive: boolean;
  standbysConnected: number;
  /** Commits that went out without an acknowledgement (Rpl_semi_sync_master_no_tx). */
  unacknowledgedCommits: number;
  /** The semi-sync wait timeout, ms. */
  timeoutMs: number;
  replicaEnabled: boolean;
  replicaActive: boolean;
}

export interface ReplicationState {
  readOnly: boolean;
  serverId: number;
  /** The last GTID written to this side's binary log, per domain. */
  binlogGtid: string;
  /** The last GTID applied here as a replica. */
  appliedGtid: string;
  /** binlog and applied together (@@gtid_current_pos). */
  currentGtid: string;
  /** Every server's last GTID per domain (@@gtid_binlog_state): what divergence is judged on. */
  binlogState: string;
  /** null: not a replica; 'unknown': no privilege to ask. */
  replica: ReplicaState | null | 'unknown';
  semiSync: SemiSyncState;
}

type Row = Record<string, string | number | null | undefined>;
const rowsOf = (result: unknown): Row[] => (result as [Row[]])[0] ?? [];
const on = (value: string | undefined) => ['ON', '1'].includes((value ?? '').toUpperCase());

export async function readReplication(db: Knex): Promise<ReplicationState> {
  const [vars] = rowsOf(
    await db.raw(
      `SELECT @@read_only AS readOnly, @@server_id AS serverId, @@gtid_binlog_pos AS binlogGtid,
              @@gtid_slave_pos AS appliedGtid, @@gtid_current_pos AS currentGtid,
              @@gtid_binlog_state AS binlogState`,
    ),
  );
  const status = new Map<string, string>();
  for (const row of rowsOf(
    await db.raw(
      `SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value FROM information_schema.GLOBAL_STATUS
        WHERE VARIABLE_NAME LIKE 'RPL\\_SEMI\\_SYNC\\_%'
       UNION ALL
       SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES
        WHERE VARIABLE_NAME LIKE 'RPL\\_SEMI\\_SYNC\\_%'`,
    ),
  ))
    status.set(String(row.name).toUpperCase(), String(row.value));
  return {
    readOnly: Number(vars?.readOnly) === 1,
    serverId: Number(vars?.serverId ?? 0),
    binlogGtid: String(vars?.binlogGtid ?? ''),
    appliedGtid: String(vars?.appliedGtid ?? ''),
    currentGtid: String(vars?.currentGtid ?? ''),
    binlogState: String(vars?.binlogState ?? ''),
    replica: await readReplica(db),
    semiSync: {
      primaryEnabled: on(status.get('RPL_SEMI_SYNC_MASTER_ENABLED')),
      primaryActive: on(status.get('RPL_SEMI_SYNC_MASTER_STATUS')),
      standbysConnected: Number(status.get('RPL_SEMI_SYNC_MASTER_CLIENTS') ?? 0),
      unacknowledgedCommits: Number(status.get('RPL_SEMI_SYNC_MASTER_NO_TX') ?? 0),
      timeoutMs: Number(status.get('RPL_SEMI_SYNC_MASTER_TIMEOUT') ?? 0),
      replicaEnabled: on(status.get('RPL_SEMI_SYNC_SLAVE_ENABLED')),
      replicaActive: on(status.get('RPL_SEMI_SYNC_SLAVE_STATUS')),
    },
  };
}

async function readReplica(db: Knex): Promise<ReplicaState | null | 'unknown'> {
  let rows: Row[];
  try {
    rows = rowsOf(await db.raw('SHOW SLAVE STATUS'));
  } catch {
    return 'unknown';
  }
  const row = rows[0];
  if (!row) return null;
  const behind = row.Seconds_Behind_Master;
  return {
    ioRunning: String(row.Slave_IO_Running) === 'Yes',
    sqlRunning: String(row.Slave_SQL_Running) === 'Yes',
    secondsBehind: behind === null || behind === undefined ? null : Number(behind),
    primaryHost: String(row.Master_Host ?? ''),
    primaryPort: Number(row.Master_Port ?? 0),
    receivedGtid: String(row.Gtid_IO_Pos ?? ''),
    lastError: String(row.Last_IO_Error || row.Last_SQL_Error || ''),
    tls: String(row.Master_SSL_Allowed) === 'Yes',
  };
}

/** The one question the app's role watch asks every second: is this side's database read-only? */
export async function isReadOnly(db: Knex): Promise<boolean> {
  const [row] = rowsOf(await db.raw('SELECT @@read_only AS readOnly'));
  return Number(row?.readOnly) === 1;
}
