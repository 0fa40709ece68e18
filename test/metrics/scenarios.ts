import type { Readings } from '../../app/domain/monitoring/readings.ts';

// Readings of an appliance in trouble, one trouble each, for the alert conditions' tests (issue 15).
// Taken at AT, ten days after the epoch, so that Prometheus's rule tests (whose clock starts at 0)
// see the same ages through time().

export const AT = 10 * 86_400_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GIB = 1024 ** 3;

export const healthy: Readings = {
  at: AT,
  databaseUp: true,
  ready: true,
  chats: [{ department: 'Cards', queued: 1, active: 2 }],
  agents: { online: 1, away: 0, offline: 2 },
  clamd: { up: true, signatureAgeDays: 1.5 },
  backup: {
    lastSuccessAt: AT - 2 * HOUR,
    oldestAt: AT - 5 * DAY,
    lastRun: { at: AT - 2 * HOUR, ok: true },
    drill: { at: AT - 2 * DAY, ok: true },
    offsiteFailures: 0,
  },
  replication: {
    readOnly: false,
    serverId: 1,
    binlogGtid: '0-1-100',
    appliedGtid: '',
    currentGtid: '0-1-100',
    binlogState: '0-1-100',
    replica: null,
    semiSync: {
      primaryEnabled: true,
      primaryActive: true,
      standbysConnected: 1,
      unacknowledgedCommits: 10,
      timeoutMs: 10_000,
      replicaEnabled: false,
      replicaActive: false,
    },
  },
  disks: [
    {
      volume: 'files',
      path: '/var/lib/parley/uploads/files',
      freeBytes: 50 * GIB,
      sizeBytes: 100 * GIB,
    },
    {
      volume: 'backups',
      path: '/var/lib/parley/backups',
      freeBytes: 80 * GIB,
      sizeBytes: 200 * GIB,
    },
  ],
  extra: [],
};

type Patch = (r: Readings) => void;
const variant = (patch: Patch): Readings => {
  const copy = structuredClone(healthy);
  patch(copy);
  return copy;
};
const standby =
  (replica: { io?: boolean; sql?: boolean; behind?: number | null }): Patch =>
  (r) => {
    r.replication!.readOnly = true;
    // A standby configured for semi-sync as a primary too (for after a failover) waits for nobody.
    r.replication!.semiSync.primaryActive = false;
    r.replication!.replica = {
      ioRunning: replica.io ?? true,
      sqlRunning: replica.sql ?? true,
      secondsBehind: replica.behind === undefined ? 2 : replica.behind,
      primaryHost: 'primary.example',
      primaryPort: 3306,
      receivedGtid: '0-1-100',
      lastError: replica.io === false ? 'error connecting to master' : '',
      tls: true,
    };
  };

export interface Scenario {
  name: string;
  now: Readings;
  /** A reading a few seconds earlier, for the growth conditions. */
  before?: Readings;
  /** The alerts that must fire, and no other. */
  fires: string[];
}

export const SCENARIOS: Scenario[] = [
  { name: 'a healthy primary', now: healthy, fires: [] },
  { name: 'a healthy standby', now: variant(standby({})), fires: [] },
  {
    name: 'clamd down',
    now: variant((r) => {
      r.clamd = { up: false, signatureAgeDays: null };
      r.ready = false;
    }),
    fires: ['ParleyNotReady', 'ParleyClamdDown'],
  },
  {
    name: 'the database down',
    now: variant((r) => {
      Object.assign(r, { databaseUp: false, ready: false, chats: null, agents: null });
      r.replication = null;
      r.backup.lastRun = null;
    }),
    fires: ['ParleyNotReady'],
  },
  {
    name: 'old virus signatures',
    now: variant((r) => (r.clamd.signatureAgeDays = 3.5)),
    fires: ['ParleyVirusSignaturesOld'],
  },
  {
    name: 'no backup for 27 hours',
    now: variant((r) => (r.backup.lastSuccessAt = AT - 27 * HOUR)),
    fires: ['ParleyBackupTooOld'],
  },
  {
    name: 'a new install with no backup and no drill',
    now: variant((r) => {
      r.backup = {
        lastSuccessAt: null,
        oldestAt: null,
        lastRun: null,
        drill: null,
        offsiteFailures: 0,
      };
    }),
    fires: ['ParleyBackupTooOld'],
  },
  {
    name: 'the last backup failed',
    now: variant((r) => (r.backup.lastRun = { at: AT - HOUR, ok: false })),
    fires: ['ParleyBackupFailed'],
  },
  {
    name: 'a drill 9 days ago',
    now: variant((r) => (r.backup.drill = { at: AT - 9 * DAY, ok: true })),
    fires: ['ParleyRestoreDrillOld'],
  },
  {
    name: 'backups for 9 days and never a drill',
    now: variant((r) => {
      r.backup.drill = null;
      r.backup.oldestAt = AT - 9 * DAY;
    }),
    fires: ['ParleyRestoreDrillOld'],
  },
  {
    name: 'a failed drill',
    now: variant((r) => (r.backup.drill = { at: AT - HOUR, ok: false })),
    fires: ['ParleyRestoreDrillFailed'],
  },
  {
    name: 'an offsite copy failed',
    now: variant((r) => (r.backup.offsiteFailures = 2)),
    fires: ['ParleyOffsiteCopyFailed'],
  },
  {
    name: 'a standby, whose worker takes no backups, with a stale backup folder',
    now: variant((r) => {
      standby({})(r);
      r.backup = {
        lastSuccessAt: AT - 9 * DAY,
        oldestAt: AT - 30 * DAY,
        lastRun: { at: AT - 9 * DAY, ok: false },
        drill: { at: AT - 20 * DAY, ok: false },
        offsiteFailures: 1,
      };
    }),
    fires: [],
  },
  {
    name: 'a standby whose IO thread stopped',
    now: variant(standby({ io: false, behind: null })),
    fires: ['ParleyReplicationStopped'],
  },
  {
    name: 'a standby 45 s behind',
    now: variant(standby({ behind: 45 })),
    fires: ['ParleyReplicationLag'],
  },
  {
    name: 'semi-sync fell back to asynchronous',
    now: variant((r) => {
      r.replication!.semiSync.primaryActive = false;
      r.replication!.semiSync.standbysConnected = 0;
    }),
    fires: ['ParleySemiSyncFellBack'],
  },
  {
    name: 'commits without acknowledgement, growing',
    before: healthy,
    now: variant((r) => (r.replication!.semiSync.unacknowledgedCommits = 15)),
    fires: ['ParleyStandbyUnacknowledgedCommits'],
  },
  {
    name: 'less than 1 GiB free for backups',
    now: variant((r) => (r.disks[1]!.freeBytes = 0.5 * GIB)),
    fires: ['ParleyDiskLow'],
  },
  {
    name: 'less than 10% free for files',
    now: variant((r) => (r.disks[0]!.freeBytes = 5 * GIB)),
    fires: ['ParleyDiskLow'],
  },
  {
    name: 'a read-only database replicating from nobody',
    now: variant((r) => (r.replication!.readOnly = true)),
    fires: ['ParleyPrimaryReadOnly'],
  },
];
