import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';
import type { auditLog } from '../app/domain/audit/auditLog.ts';
import { migrationsDir, type Db } from '../app/storage/db.ts';
import { fileStore, readMasterKey } from '../app/storage/fileStore.ts';
import { runDataRetention } from './dataRetention.ts';
import type { Config } from '../config/load.ts';
import { dbAccess, parleyVersion, runBackup, runDrill } from './backupJob.ts';
import type { Job } from './jobs.ts';

const worker = { kind: 'system' as const, label: 'worker' };

/** The worker's backup and drill jobs; each records an audit entry per run. */
export async function scheduledBackupJobs(
  config: Config,
  audit: ReturnType<typeof auditLog>,
): Promise<Job[]> {
  const env = config.env;
  const list: Job[] = [];
  if (!env.PARLEY_BACKUP_RECIPIENTS_FILE || !env.PARLEY_BACKUP_SIGNING_KEY_FILE) return list;
  list.push({
    name: 'backup',
    schedule: env.PARLEY_BACKUP_CRON,
    run: async () => {
      try {
        const { backup, pruned, offsite } = await runBackup(config);
        const rows = Object.values(backup.manifest.tables).reduce((a, b) => a + b, 0);
        const offsiteFailed = offsite.filter((c) => !c.ok).length;
        await audit.record({
          actor: worker,
          action: 'backup.create',
          outcome: 'success',
          details: {
            name: backup.name,
            bytes: backup.size,
            rows,
            pruned: pruned.deleted.length,
            offsiteFailed,
          },
        });
        return { bytes: backup.size, rows, pruned: pruned.deleted.length, offsiteFailed };
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
