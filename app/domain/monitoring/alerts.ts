import type { Readings } from './readings.ts';

// Every condition an IT admin must act on (issue 15), defined once: Prometheus evaluates `expr` over
// the endpoint's metrics (compose/prometheus/parley-alerts.yml is generated from this list by
// `make alert-rules`), and `make status` evaluates `fires` over a reading taken directly, with no
// Prometheus. Both say `sentence`. `fires` sees one moment: `for` is Prometheus's alone.

export interface AlertCondition {
  /** The Prometheus alert name. */
  name: string;
  severity: 'critical' | 'warning';
  /** What it checks, as `make status` names it on an OK line. */
  title: string;
  /** PromQL over the parley_* metrics (and `up` of the scrape job named parley). */
  expr: string;
  /** How long `expr` must hold before Prometheus fires. */
  for: string;
  /** What the IT admin reads: what is wrong (before the first colon: the alert's summary), what it breaks, what to do. */
  sentence: string;
  /** Whether it holds now; `before` is a reading a few seconds earlier, when one was taken. */
  fires(now: Readings, before: Readings | null): boolean;
  /** Figures for `make status`, after the sentence. */
  detail?(now: Readings): string;
  /** Needs two readings (a counter's growth): `fires` sees `before`. */
  growth?: boolean;
}

export const SIGNATURES_MAX_DAYS = 3;
export const BACKUP_MAX_HOURS = 26;
export const DRILL_MAX_DAYS = 8;
export const LAG_MAX_SECONDS = 30;
export const DISK_MIN_FRACTION = 0.1;
export const DISK_MIN_BYTES = 1024 ** 3;

const HOUR = 3_600_000;
const replica = (r: Readings) =>
  r.replication && typeof r.replication.replica === 'object' ? r.replication.replica : null;
const lowDisks = (r: Readings) =>
  r.disks.filter(
    (d) => d.freeBytes < DISK_MIN_BYTES || d.freeBytes < d.sizeBytes * DISK_MIN_FRACTION,
  );
const gib = (bytes: number) => `${(bytes / DISK_MIN_BYTES).toFixed(1)} GiB`;
const ago = (at: number, now: number) => `${((now - at) / HOUR).toFixed(1)} h ago`;

/** A standby takes no backups (its worker waits for a promotion): these hold on the primary only. */
const onThePrimary = (condition: AlertCondition): AlertCondition => ({
  ...condition,
  expr: `(${condition.expr}) unless parley_db_read_only == 1`,
  fires: (now, before) => now.replication?.readOnly !== true && condition.fires(now, before),
});

export const ALERT_CONDITIONS: AlertCondition[] = [
  {
    name: 'ParleyNotReady',
    severity: 'critical',
    title: 'readiness (database and clamd answer)',
    expr: 'up{job="parley"} == 0 or parley_ready == 0',
    for: '2m',
    sentence:
      'Parley is not ready: its database or clamd does not answer (or the app is down), so visitors cannot chat. Read `make logs SERVICE=app` and check the db and clamav services.',
    fires: (r) => !r.ready,
    detail: (r) => `database ${r.databaseUp ? 'up' : 'DOWN'}, clamd ${r.clamd.up ? 'up' : 'DOWN'}`,
  },
  {
    name: 'ParleyClamdDown',
    severity: 'critical',
    title: 'clamd',
    expr: 'parley_clamd_up == 0',
    for: '2m',
    sentence:
      'clamd does not answer: file uploads are refused until it is back. Check `make logs SERVICE=clamav` (natively `make dev-status`).',
    fires: (r) => !r.clamd.up,
  },
  {
    name: 'ParleyVirusSignaturesOld',
    severity: 'warning',
    title: `virus signatures (at most ${SIGNATURES_MAX_DAYS} days old)`,
    expr: `parley_clamd_signature_age_days > ${SIGNATURES_MAX_DAYS}`,
    for: '1h',
    sentence: `The virus signatures clamd uses are more than ${SIGNATURES_MAX_DAYS} days old: new malware goes undetected. Load fresh ones with \`make clamav-update SIGS=<folder>\`, or check the freshclam service.`,
    fires: (r) => (r.clamd.signatureAgeDays ?? 0) > SIGNATURES_MAX_DAYS,
    detail: (r) => `${(r.clamd.signatureAgeDays ?? 0).toFixed(1)} days old`,
  },
  ...(
    [
      {
        name: 'ParleyBackupTooOld',
        severity: 'critical',
        title: `newest backup (at most ${BACKUP_MAX_HOURS} h old)`,
        expr: `time() - parley_backup_last_success_timestamp_seconds > ${BACKUP_MAX_HOURS} * 3600`,
        for: '10m',
        sentence: `No backup in the last ${BACKUP_MAX_HOURS} hours (or none at all): the nightly backup did not run or did not finish. Read \`make logs SERVICE=worker\` and take one with \`make backup\`.`,
        fires: (r) =>
          r.backup.lastSuccessAt === null ||
          r.at - r.backup.lastSuccessAt > BACKUP_MAX_HOURS * HOUR,
        detail: (r) =>
          r.backup.lastSuccessAt === null
            ? 'none yet'
            : `newest ${ago(r.backup.lastSuccessAt, r.at)}`,
      },
      {
        name: 'ParleyBackupFailed',
        severity: 'critical',
        title: 'last backup run',
        expr: 'parley_backup_last_result == 0',
        for: '1m',
        sentence:
          'The last backup failed: there is no fresh copy of the data. Read the worker’s log (`make logs SERVICE=worker`), fix the cause and run `make backup`.',
        fires: (r) => r.backup.lastRun?.ok === false,
        detail: (r) => (r.backup.lastRun ? `failed ${ago(r.backup.lastRun.at, r.at)}` : ''),
      },
      {
        name: 'ParleyRestoreDrillOld',
        severity: 'warning',
        title: `last restore drill (at most ${DRILL_MAX_DAYS} days old)`,
        // Never drilled: due once backups have been taken for that long (a new install is not alarmed).
        expr: `(time() - parley_backup_drill_last_timestamp_seconds > ${DRILL_MAX_DAYS} * 86400 and parley_backup_drill_last_timestamp_seconds > 0) or (parley_backup_drill_last_timestamp_seconds == 0 and time() - parley_backup_oldest_timestamp_seconds > ${DRILL_MAX_DAYS} * 86400 and parley_backup_oldest_timestamp_seconds > 0)`,
        for: '1h',
        sentence: `No restore drill in the last ${DRILL_MAX_DAYS} days: nobody has proved that the backups restore. Run \`make backup-drill KEY=<IT private key>\`, or check the worker’s weekly drill (PARLEY_BACKUP_DRILL_CRON).`,
        fires: (r) => {
          const since = r.backup.drill?.at ?? r.backup.oldestAt;
          return since !== null && r.at - since > DRILL_MAX_DAYS * 24 * HOUR;
        },
        detail: (r) =>
          r.backup.drill ? `last ${ago(r.backup.drill.at, r.at)}` : 'none since the first backup',
      },
      {
        name: 'ParleyRestoreDrillFailed',
        severity: 'critical',
        title: 'last restore drill result',
        expr: 'parley_backup_drill_last_result == 0',
        for: '1m',
        sentence:
          'The last restore drill failed: the newest backup may not restore. `make backup-status` gives the reason; fix it and take a new backup.',
        fires: (r) => r.backup.drill?.ok === false,
      },
      {
        name: 'ParleyOffsiteCopyFailed',
        severity: 'warning',
        title: 'offsite copies of the last backup',
        expr: 'parley_offsite_failures > 0',
        for: '1m',
        sentence:
          'An offsite copy of the last backup failed: that backup exists only on this server. `make backup-status` names the target and its error.',
        fires: (r) => r.backup.offsiteFailures > 0,
        detail: (r) => `${r.backup.offsiteFailures} target(s) failed`,
      },
    ] satisfies AlertCondition[]
  ).map(onThePrimary),
  {
    name: 'ParleyReplicationStopped',
    severity: 'critical',
    title: 'replication threads (on a standby)',
    expr: 'parley_replication_io_running == 0 or parley_replication_sql_running == 0',
    for: '2m',
    sentence:
      'Replication to this standby has stopped: it falls further behind and a failover would lose data. `make dr-status` shows the error.',
    fires: (r) => {
      const state = replica(r);
      return state !== null && !(state.ioRunning && state.sqlRunning);
    },
    detail: (r) => replica(r)?.lastError ?? '',
  },
  {
    name: 'ParleyReplicationLag',
    severity: 'warning',
    title: `replication lag (at most ${LAG_MAX_SECONDS} s, on a standby)`,
    expr: `parley_replication_lag_seconds > ${LAG_MAX_SECONDS}`,
    for: '2m',
    sentence: `This standby is more than ${LAG_MAX_SECONDS} seconds behind the primary: a failover now would lose the most recent chats. Check the link between the two sides and \`make dr-status\`.`,
    fires: (r) => (replica(r)?.secondsBehind ?? 0) > LAG_MAX_SECONDS,
    detail: (r) => `${replica(r)?.secondsBehind ?? '?'} s behind`,
  },
  {
    name: 'ParleySemiSyncFellBack',
    severity: 'critical',
    title: 'semi-synchronous replication (on the primary)',
    expr: 'parley_semisync_primary_enabled == 1 and parley_semisync_primary_active == 0 and parley_db_read_only == 0',
    for: '1m',
    sentence:
      'The primary stopped waiting for the standby (semi-synchronous replication fell back to asynchronous after a timeout): a commit is no longer sure to be on the standby. Check that the standby is up and replicating (`make dr-status`).',
    fires: (r) =>
      r.replication !== null &&
      !r.replication.readOnly &&
      r.replication.semiSync.primaryEnabled &&
      !r.replication.semiSync.primaryActive,
  },
  {
    name: 'ParleyStandbyUnacknowledgedCommits',
    severity: 'warning',
    title: 'standby acknowledgements (on the primary)',
    expr: 'increase(parley_semisync_unacknowledged_commits_total[15m]) > 0',
    for: '1m',
    sentence:
      'Commits are going out without the standby’s acknowledgement: a failover could lose them. Check the standby and the link (`make dr-status`).',
    growth: true,
    fires: (r, before) =>
      r.replication !== null &&
      before?.replication != null &&
      r.replication.semiSync.unacknowledgedCommits >
        before.replication.semiSync.unacknowledgedCommits,
  },
  {
    name: 'ParleyDiskLow',
    severity: 'critical',
    title: `free space on the data volumes (at least ${DISK_MIN_FRACTION * 100}% and 1 GiB)`,
    expr: `parley_disk_free_bytes / parley_disk_size_bytes < ${DISK_MIN_FRACTION} or parley_disk_free_bytes < ${DISK_MIN_BYTES}`,
    for: '5m',
    sentence: `A data volume has less than ${DISK_MIN_FRACTION * 100}% or 1 GiB free: when it is full, uploads and backups fail. Free space or grow the volume.`,
    fires: (r) => lowDisks(r).length > 0,
    detail: (r) =>
      lowDisks(r)
        .map((d) => `${d.volume} (${d.path}): ${gib(d.freeBytes)} of ${gib(d.sizeBytes)} free`)
        .join('; '),
  },
  {
    name: 'ParleyPrimaryReadOnly',
    severity: 'critical',
    title: 'database role (writable, or a replicating standby)',
    expr: 'parley_db_read_only == 1 and parley_replication_configured == 0',
    for: '2m',
    sentence:
      'The database is read-only but replicates from no primary: nobody can write chats. If this side should be the primary, finish the failover (`make failover`) or lift the fence; `make dr-status` shows both sides.',
    fires: (r) =>
      r.replication !== null && r.replication.readOnly && r.replication.replica === null,
  },
];
