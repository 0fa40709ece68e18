import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Readings } from '../domain/monitoring/readings.ts';

// Parley's metrics (issue 15) in a registry of its own, never prom-client's global one. Messages
// are counted as they commit; everything else is set from one reading (readings.ts) per scrape,
// cached a few seconds so that several Prometheus servers cost the database one set of counts.

/** A number for a gauge: unknown is NaN, which no alert threshold matches. */
const num = (value: number | null | undefined) => (value == null ? NaN : value);
const flag = (value: boolean | null | undefined) => (value == null ? NaN : value ? 1 : 0);
const seconds = (ms: number | null | undefined) => (ms == null ? 0 : ms / 1000);

export interface ParleyMetrics {
  registry: Registry;
  /** Called by the message writer after each commit: one entry per new message, in seconds. */
  committed: (latencies: number[]) => void;
  /** Sets every reading-based metric, taking a new reading when the cached one is too old. */
  refresh(): Promise<void>;
}

export function parleyMetrics(read: () => Promise<Readings>, cacheMs: number): ParleyMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });

  const messages = new Counter({
    name: 'parley_messages_total',
    help: 'Chat messages, notes and whispers committed by this process (rate() gives messages per second).',
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'parley_message_commit_seconds',
    help: 'Time from a message entering the group-commit writer to its transaction committing.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const g = {
    ready: gauge('parley_ready', '1 when the database and clamd answer (what /readyz says).'),
    databaseUp: gauge('parley_database_up', '1 when the database answers.'),
    chatsActive: gauge('parley_chats_active', 'Chats an agent is handling.', ['department']),
    chatsQueued: gauge('parley_chats_queued', 'Chats waiting for an agent.', ['department']),
    agents: gauge('parley_agents_online', 'Active agents by availability.', ['status']),
    clamdUp: gauge('parley_clamd_up', '1 when clamd answers PING.'),
    signatureAge: gauge('parley_clamd_signature_age_days', 'Age of the loaded virus signatures.'),
    backupSuccess: gauge(
      'parley_backup_last_success_timestamp_seconds',
      'Time of the newest backup in the backup folder (0: none).',
    ),
    backupResult: gauge(
      'parley_backup_last_result',
      '1 when the last backup run succeeded, 0 when it failed (NaN: none recorded).',
    ),
    backupOldest: gauge(
      'parley_backup_oldest_timestamp_seconds',
      'Time of the oldest backup kept in the backup folder (0: none).',
    ),
    drillAt: gauge(
      'parley_backup_drill_last_timestamp_seconds',
      'Time of the last restore drill (0: none).',
    ),
    drillResult: gauge(
      'parley_backup_drill_last_result',
      '1 when the last restore drill passed, 0 when it failed (NaN: none).',
    ),
    offsite: gauge(
      'parley_offsite_failures',
      'Offsite targets whose copy of the last backup failed.',
    ),
    readOnly: gauge('parley_db_read_only', '1 when this side’s database is read-only (a standby).'),
    configured: gauge(
      'parley_replication_configured',
      '1 when this side replicates from a primary (NaN: not allowed to ask).',
    ),
    io: gauge(
      'parley_replication_io_running',
      '1 when the replica IO thread runs (NaN: not a replica).',
    ),
    sql: gauge(
      'parley_replication_sql_running',
      '1 when the replica SQL thread runs (NaN: not a replica).',
    ),
    lag: gauge('parley_replication_lag_seconds', 'Seconds_Behind_Master (NaN: unknown).'),
    semiEnabled: gauge(
      'parley_semisync_primary_enabled',
      '1 when this side waits for a standby’s acknowledgement.',
    ),
    semiActive: gauge(
      'parley_semisync_primary_active',
      '0 when semi-sync fell back to asynchronous.',
    ),
    standbys: gauge('parley_semisync_standbys_connected', 'Semi-sync standbys connected.'),
    diskFree: gauge('parley_disk_free_bytes', 'Bytes Parley can still write.', ['volume']),
    diskSize: gauge('parley_disk_size_bytes', 'Size of the file system.', ['volume']),
  };
  const unacknowledged = new Counter({
    name: 'parley_semisync_unacknowledged_commits_total',
    help: 'Commits that went out without a standby’s acknowledgement (Rpl_semi_sync_master_no_tx).',
    registers: [registry],
  });
  const extras = new Map<string, Gauge>();

  function apply(r: Readings): void {
    g.ready.set(flag(r.ready));
    g.databaseUp.set(flag(r.databaseUp));
    for (const metric of [g.chatsActive, g.chatsQueued, g.agents, g.diskFree, g.diskSize])
      metric.reset();
    for (const row of r.chats ?? []) {
      g.chatsActive.set({ department: row.department }, row.active);
      g.chatsQueued.set({ department: row.department }, row.queued);
    }
    for (const [status, count] of Object.entries(r.agents ?? {})) g.agents.set({ status }, count);
    g.clamdUp.set(flag(r.clamd.up));
    g.signatureAge.set(num(r.clamd.signatureAgeDays));
    g.backupSuccess.set(seconds(r.backup.lastSuccessAt));
    g.backupResult.set(flag(r.backup.lastRun?.ok));
    g.backupOldest.set(seconds(r.backup.oldestAt));
    g.drillAt.set(seconds(r.backup.drill?.at));
    g.drillResult.set(flag(r.backup.drill?.ok));
    g.offsite.set(r.backup.offsiteFailures);
    const rep = r.replication;
    const replica = rep && typeof rep.replica === 'object' ? rep.replica : null;
    g.readOnly.set(flag(rep?.readOnly));
    g.configured.set(!rep || rep.replica === 'unknown' ? NaN : replica ? 1 : 0);
    g.io.set(flag(replica?.ioRunning));
    g.sql.set(flag(replica?.sqlRunning));
    g.lag.set(num(replica?.secondsBehind));
    g.semiEnabled.set(flag(rep?.semiSync.primaryEnabled));
    g.semiActive.set(flag(rep?.semiSync.primaryActive));
    g.standbys.set(num(rep?.semiSync.standbysConnected));
    unacknowledged.reset();
    if (rep && rep.semiSync.unacknowledgedCommits > 0)
      unacknowledged.inc(rep.semiSync.unacknowledgedCommits);
    for (const disk of r.disks) {
      g.diskFree.set({ volume: disk.volume }, disk.freeBytes);
      g.diskSize.set({ volume: disk.volume }, disk.sizeBytes);
    }
    for (const { name, help, value } of r.extra) {
      let metric = extras.get(name);
      if (!metric) extras.set(name, (metric = gauge(name, help)));
      metric.set(num(value));
    }
  }

  let cached: { at: number; reading: Promise<Readings> } | null = null;
  return {
    registry,
    committed: (latencies) => {
      if (latencies.length > 0) messages.inc(latencies.length);
      for (const latency of latencies) commitSeconds.observe(latency);
    },
    async refresh() {
      // Concurrent scrapes share one reading; a failed one is not kept.
      if (!cached || performance.now() - cached.at > cacheMs) {
        const entry = { at: performance.now(), reading: read() };
        cached = entry;
        entry.reading.catch(() => {
          if (cached === entry) cached = null;
        });
      }
      apply(await cached.reading);
    },
  };
}
