import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';
import type { auditLog } from '../../app/domain/audit/auditLog.ts';
import { migrationsDir, type Db } from '../../app/storage/db.ts';
import { fileStore, readMasterKey } from '../../app/storage/fileStore.ts';
import { runDataRetention } from '../retention/dataRetention.ts';
import type { Config } from '../../config/load.ts';
import { runDrill } from '../archive/drill.ts';
import { replicateAll, runBackup } from './backupJob.ts';
import { dbAccess, parleyVersion } from './settings.ts';
import type { Job } from './jobs.ts';
import type { BackupResult } from '../archive/createBackup.ts';

const worker = { kind: 'system' as const, label: 'worker' };

/** The worker's backup and drill jobs; each records an audit entry per run. */
export async function scheduledBackupJobs(
  config: Config,
  audit: ReturnType<typeof auditLog>,
): Promise<Job[]> {
  const env = config.env;
  const list: Job[] = [];
  if (!env.PARLEY_BACKUP_RECIPIENTS_FILE || !env.PARLEY_BACKUP_SIGNING_KEY_FILE) return list;
  const offsite = backgroundReplication(config, audit);
  list.push({
    name: 'backup',
    schedule: env.PARLEY_BACKUP_CRON,
    run: async () => {
      try {
        const { backup, pruned, companions } = await runBackup(config, { offsite: false });
        const rows = Object.values(backup.manifest.tables).reduce((a, b) => a + b, 0);
        await audit.record({
          actor: worker,
          action: 'backup.create',
          outcome: 'success',
          details: { name: backup.name, bytes: backup.size, rows, pruned: pruned.deleted.length },
        });
        // The copies go on after this run has finished: a target that is slow or down (retries
        // with backoff, time-outs) never holds up the next local backup.
        const copying = offsite.start(backup, companions);
        return {
          bytes: backup.size,
          rows,
          pruned: pruned.deleted.length,
          offsite: copying ? 1 : 0,
        };
      } catch (error) {
        await audit.record({
          actor: worker,
          action: 'backup.create',
          outcome: 'failure',
          details: { reason: (error as Error).name },
        });
        throw error;
      }
    },
  });
  if (env.PARLEY_BACKUP_DRILL_KEY_FILE) {
    const signing = await openpgp.readPrivateKey({
      armoredKey: await readFile(env.PARLEY_BACKUP_SIGNING_KEY_FILE, 'utf8'),
    });
    list.push({
      name: 'backup-drill',
      schedule: env.PARLEY_BACKUP_DRILL_CRON,
      run: async () => {
        const result = await runDrill({
          access: dbAccess(config),
          dir: env.PARLEY_BACKUP_DIR,
          decryptionKey: await readFile(env.PARLEY_BACKUP_DRILL_KEY_FILE, 'utf8'),
          verificationKeys: signing.toPublic().armor(),
          parleyVersion,
          knownMigrations: readdirSync(migrationsDir).filter((n) => n.endsWith('.ts')),
        });
        await audit.record({
          actor: worker,
          action: 'backup.drill',
          outcome: result.ok ? 'success' : 'failure',
          details: { backup: result.backup, rows: result.rows ?? 0 },
        });
        return { ok: result.ok ? 1 : 0, rows: result.rows ?? 0 };
      },
    });
  }
  return list;
}

/**
 * Offsite copies in the background, one round at a time. When a backup finishes while the copies
 * of an earlier one are still going, the newest waits and goes next (an older one still waiting
 * is dropped: the newest backup is what matters offsite). Each round is audited with its counts.
 */
export function backgroundReplication(config: Config, audit: ReturnType<typeof auditLog>) {
  let running: Promise<void> | null = null;
  let next: { backup: BackupResult; companions: string[] } | null = null;
  const round = async (backup: BackupResult, companions: string[]): Promise<void> => {
    try {
      const results = await replicateAll(config, backup, companions);
      const failed = results.filter((r) => !r.ok).length;
      await audit.record({
        actor: worker,
        action: 'backup.offsite',
        outcome: failed === 0 ? 'success' : 'failure',
        details: { name: backup.name, targets: results.length, failed },
      });
    } catch (error) {
      await audit
        .record({
          actor: worker,
          action: 'backup.offsite',
          outcome: 'failure',
          details: { name: backup.name, reason: (error as Error).name },
        })
        .catch(() => {});
    }
  };
  const drain = async (): Promise<void> => {
    while (next) {
      const job = next;
      next = null;
      await round(job.backup, job.companions);
    }
    running = null;
  };
  return {
    /** Queues the copies; true when they started now, false when they wait for a round in flight. */
    start(backup: BackupResult, companions: string[]): boolean {
      next = { backup, companions };
      if (running) return false;
      running = drain();
      return true;
    },
    /** Resolves when no round is running (for tests and a graceful stop). */
    idle: (): Promise<void> => running ?? Promise.resolve(),
  };
}

/** The data retention job: deletes what the policy expired and records the counts. */
export function retentionJob(config: Config, db: Db, audit: ReturnType<typeof auditLog>): Job {
  const env = config.env;
  return {
    name: 'data-retention',
    schedule: env.PARLEY_RETENTION_CRON,
    run: async () => {
      const store = env.PARLEY_FILES_MASTER_KEY_FILE
        ? fileStore(env.PARLEY_FILES_DIR, readMasterKey(env.PARLEY_FILES_MASTER_KEY_FILE))
        : null;
      const counts = await runDataRetention(
        db,
        {
          chatDays: env.PARLEY_RETENTION_DAYS,
          visitorDays: env.PARLEY_RETENTION_VISITOR_DAYS,
          batch: env.PARLEY_RETENTION_BATCH,
        },
        async (key) => {
          await store?.remove(key);
        },
      );
      await audit.record({
        actor: worker,
        action: 'retention.run',
        outcome: 'success',
        details: { ...counts },
      });
      return { ...counts };
    },
  };
}
