import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';
import { agentSessions } from '../../app/domain/agentSessions.ts';
import type { AuditLog } from '../../app/domain/audit/auditLog.ts';
import { runAuditRetention } from '../../app/domain/audit/auditRetention.ts';
import { passwordHasher } from '../../app/domain/passwords.ts';
import { signinUpkeep } from '../../app/domain/signin/index.ts';
import type { Logger } from '../../app/log.ts';
import { migrationsDir, type Db } from '../../app/storage/db.ts';
import { fileStore, readMasterKey } from '../../app/storage/fileStore.ts';
import type { Config } from '../../config/load.ts';
import { runDrill } from '../archive/drill.ts';
import { runAgentChatRetention } from '../retention/agentChatRetention.ts';
import { runDataRetention } from '../retention/dataRetention.ts';
import { backgroundReplication } from './backgroundReplication.ts';
import { runBackup } from './backupJob.ts';
import { dbAccess, parleyVersion } from './settings.ts';

/** A scheduled job is data: a name, a cron expression and what it runs (its counts, for the log). */
export interface Job {
  name: string;
  schedule: string;
  run(): Promise<Record<string, number>>;
}

export interface WorkerDeps {
  config: Config;
  db: Db;
  audit: AuditLog;
}

const worker = { kind: 'system' as const, label: 'worker' };

/**
 * Every job the worker runs, in one list. A job whose settings are missing (backups without keys,
 * a drill without its key) is left out; the backup, drill and retention jobs audit each run.
 */
export async function workerJobs({ config, db, audit }: WorkerDeps): Promise<Job[]> {
  const env = config.env;
  const sessions = agentSessions(
    db,
    passwordHasher({
      memoryCost: env.PARLEY_ARGON2_MEMORY_KIB,
      timeCost: env.PARLEY_ARGON2_ITERATIONS,
      parallelism: env.PARLEY_ARGON2_PARALLELISM,
    }),
    {
      idleMinutes: env.PARLEY_SESSION_IDLE_MINUTES,
      absoluteHours: env.PARLEY_SESSION_ABSOLUTE_HOURS,
    },
  );
  const upkeep = signinUpkeep({ config, db, audit });
  const backups = Boolean(env.PARLEY_BACKUP_RECIPIENTS_FILE && env.PARLEY_BACKUP_SIGNING_KEY_FILE);
  const drill = backups && Boolean(env.PARLEY_BACKUP_DRILL_KEY_FILE);
  // Read at start, as before: a drill key setting with an unreadable signing key stops the worker.
  const verificationKeys = drill ? await signingPublicKey(env.PARLEY_BACKUP_SIGNING_KEY_FILE) : '';
  const offsite = backgroundReplication(config, audit);

  const list: (Job & { enabled?: boolean })[] = [
    {
      name: 'purge-expired-sessions',
      schedule: env.PARLEY_SESSION_PURGE_CRON,
      run: async () => ({ removed: await sessions.purgeExpired() }),
    },
    { name: 'signin-upkeep', schedule: env.PARLEY_SESSION_PURGE_CRON, run: () => upkeep.run() },
    {
      name: 'audit-retention',
      schedule: env.PARLEY_RETENTION_CRON,
      run: async () => {
        const result = await runAuditRetention(db, audit, {
          days: env.PARLEY_AUDIT_RETENTION_DAYS,
          batch: env.PARLEY_RETENTION_BATCH,
        });
        return { deleted: result.deleted, anchorId: result.anchorId };
      },
    },
    {
      name: 'backup',
      schedule: env.PARLEY_BACKUP_CRON,
      enabled: backups,
      run: () => backupRun(config, audit, offsite),
    },
    {
      name: 'backup-drill',
      schedule: env.PARLEY_BACKUP_DRILL_CRON,
      enabled: drill,
      run: () => drillRun(config, audit, verificationKeys),
    },
    {
      name: 'data-retention',
      schedule: env.PARLEY_RETENTION_CRON,
      run: () => dataRetentionRun(config, db, audit),
    },
  ];
  return list.filter((job) => job.enabled !== false).map(({ enabled: _, ...job }) => job);
}

async function signingPublicKey(path: string): Promise<string> {
  const signing = await openpgp.readPrivateKey({ armoredKey: await readFile(path, 'utf8') });
  return signing.toPublic().armor();
}

async function backupRun(
  config: Config,
  audit: AuditLog,
  offsite: ReturnType<typeof backgroundReplication>,
): Promise<Record<string, number>> {
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
    return { bytes: backup.size, rows, pruned: pruned.deleted.length, offsite: copying ? 1 : 0 };
  } catch (error) {
    await audit.record({
      actor: worker,
      action: 'backup.create',
      outcome: 'failure',
      details: { reason: (error as Error).name },
    });
    throw error;
  }
}

async function drillRun(
  config: Config,
  audit: AuditLog,
  verificationKeys: string,
): Promise<Record<string, number>> {
  const env = config.env;
  const result = await runDrill({
    access: dbAccess(config),
    dir: env.PARLEY_BACKUP_DIR,
    decryptionKey: await readFile(env.PARLEY_BACKUP_DRILL_KEY_FILE, 'utf8'),
    verificationKeys,
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
}

/** Deletes what the data retention policy expired (rows, then file bytes) and records the counts. */
async function dataRetentionRun(
  config: Config,
  db: Db,
  audit: AuditLog,
): Promise<Record<string, number>> {
  const env = config.env;
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
  const agentMessages = await runAgentChatRetention(db, {
    days: env.PARLEY_RETENTION_DAYS,
    batch: env.PARLEY_RETENTION_BATCH,
  });
  await audit.record({
    actor: worker,
    action: 'retention.run',
    outcome: 'success',
    details: { ...counts, agentMessages },
  });
  return { ...counts, agentMessages };
}

/** Runs a job unless its previous run is still going, and logs the outcome. */
export function guarded(job: Job, log: Logger): () => Promise<void> {
  let running = false;
  return async () => {
    if (running) {
      log.warn({ job: job.name }, 'previous run still going; skipped');
      return;
    }
    running = true;
    const started = performance.now();
    try {
      const result = await job.run();
      log.info(
        { job: job.name, ms: Math.round(performance.now() - started), ...result },
        'job finished',
      );
    } catch (error) {
      log.error({ job: job.name, kind: (error as Error).name }, 'job failed');
    } finally {
      running = false;
    }
  };
}
