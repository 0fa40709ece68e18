// The worker process: node-cron runs Parley's scheduled jobs (backups and retention join this list).
import cron from 'node-cron';
import { loadConfigOrExit } from '../../config/load.ts';
import { agentSessions } from '../../app/domain/agentSessions.ts';
import { passwordHasher } from '../../app/domain/passwords.ts';
import { createLogger } from '../../app/log.ts';
import { openDb } from '../../app/storage/db.ts';
import { auditLog } from '../../app/domain/audit/auditLog.ts';
import { runAuditRetention } from '../../app/domain/audit/auditRetention.ts';
import { signinUpkeep } from '../../app/domain/signin/index.ts';
import { retentionJob, scheduledBackupJobs } from './scheduled.ts';
import { guarded, jobs } from './jobs.ts';

const config = loadConfigOrExit({ process: 'worker' });
const env = config.env;
const log = createLogger(env.PARLEY_LOG_LEVEL, 'parley-worker');
const db = openDb(config);
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

const audit = auditLog(db, { log });
const backupJobs = [...(await scheduledBackupJobs(config, audit)), retentionJob(config, db, audit)];

const tasks = jobs({
  sessions,
  sessionPurgeCron: env.PARLEY_SESSION_PURGE_CRON,
  signinUpkeep: signinUpkeep({ config, db, audit }),
  backupJobs,
  auditRetention: {
    schedule: env.PARLEY_RETENTION_CRON,
    run: async () => {
      const result = await runAuditRetention(db, audit, {
        days: env.PARLEY_AUDIT_RETENTION_DAYS,
        batch: env.PARLEY_RETENTION_BATCH,
      });
      return { deleted: result.deleted, anchorId: result.anchorId };
    },
  },
}).map((job) => {
  if (!cron.validate(job.schedule)) {
    log.fatal({ job: job.name, schedule: job.schedule }, 'invalid cron expression');
    process.exit(78);
  }
  log.info({ job: job.name, schedule: job.schedule }, 'job scheduled');
  return cron.schedule(job.schedule, guarded(job, log), { name: job.name, noOverlap: true });
});

const stop = () => {
  for (const task of tasks) void task.stop();
  void db.destroy().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
log.info({ jobs: tasks.length }, 'worker started');
