import type { ReplicationState } from '../../storage/replication.ts';
import { lastDrill, offsiteStatus } from '../../storage/backupStatus.ts';
import {
  backupTimes,
  diskSpace,
  monitoringRepo,
  type ChatCountRow,
} from '../../storage/monitoring.ts';
import type { AgentStatus } from '../../shared/presence.ts';
import { EXTRA_READINGS } from './extraReadings.ts';
import type { ReadingSources } from './sources.ts';

export type { ReadingSources };

// One reading of everything an IT admin watches (issue 15). The Prometheus endpoint turns it into
// metrics and `make status` into sentences, through the one list of conditions in alerts.ts, so
// the two never disagree about what is wrong.

export type Volume = 'files' | 'backups';

export interface Readings {
  /** When it was taken, ms since the epoch. */
  at: number;
  databaseUp: boolean;
  /** What /readyz answers: the database and clamd both answer. */
  ready: boolean;
  /** null when the database did not answer. */
  chats: ChatCountRow[] | null;
  agents: Record<AgentStatus, number> | null;
  clamd: { up: boolean; signatureAgeDays: number | null };
  backup: {
    /** The newest and the oldest backup in the folder (their names' times), ms; null: none. */
    lastSuccessAt: number | null;
    oldestAt: number | null;
    /** The last backup run as audited; null when none was recorded. */
    lastRun: { at: number; ok: boolean } | null;
    drill: { at: number; ok: boolean } | null;
    /** Offsite targets whose copy of the last backup failed. */
    offsiteFailures: number;
  };
  /** null when the database could not be asked. */
  replication: ReplicationState | null;
  disks: { volume: Volume; path: string; freeBytes: number; sizeBytes: number }[];
  /** The readings of EXTRA_READINGS, by name (null: unknown). */
  extra: { name: string; help: string; value: number | null }[];
}

export function signatureAgeDays(date: string | undefined, now: number): number | null {
  const parsed = date ? Date.parse(date) : NaN;
  return Number.isNaN(parsed) ? null : Math.max(0, (now - parsed) / 86_400_000);
}

export async function takeReadings(sources: ReadingSources): Promise<Readings> {
  const now = (sources.now ?? Date.now)();
  const repo = monitoringRepo(sources.store);
  const databaseUp = await repo.databaseUp();
  const orNull = <T>(read: () => Promise<T>): Promise<T | null> =>
    databaseUp ? read().catch(() => null) : Promise.resolve(null);
  const dir = sources.backupDir;
  const [chats, agents, lastRun, replication, clamd, backups, drill, offsite, disks, extra] =
    await Promise.all([
      orNull(() => repo.chatCounts()),
      orNull(() => repo.agentCounts()),
      orNull(() => repo.lastBackupRun()),
      orNull(() => repo.replication()),
      sources.clamd.status(),
      backupTimes(dir),
      lastDrill(dir),
      offsiteStatus(dir),
      Promise.all(
        (
          [
            ['files', sources.filesDir],
            ['backups', sources.backupDir],
          ] as const
        ).map(async ([volume, path]) => {
          const space = await diskSpace(path);
          return space ? [{ volume, path, ...space }] : [];
        }),
      ),
      Promise.all(
        EXTRA_READINGS.map(async (reading) => ({
          name: reading.name,
          help: reading.help,
          value: await reading.read(sources).catch(() => null),
        })),
      ),
    ]);
  return {
    at: now,
    databaseUp,
    ready: databaseUp && clamd.up,
    chats,
    agents,
    clamd: { up: clamd.up, signatureAgeDays: signatureAgeDays(clamd.signaturesDate, now) },
    backup: {
      lastSuccessAt: backups?.newest ?? null,
      oldestAt: backups?.oldest ?? null,
      lastRun: lastRun ? { at: lastRun.at.getTime(), ok: lastRun.ok } : null,
      drill: drill ? { at: Date.parse(drill.at), ok: drill.ok } : null,
      offsiteFailures: (offsite?.targets ?? []).filter((t) => !t.ok).length,
    },
    replication,
    disks: disks.flat(),
    extra,
  };
}
