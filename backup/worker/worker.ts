// The worker process: node-cron runs every job of workerJobs() (jobs.ts) on its schedule.
import cron from 'node-cron';
import { loadConfigOrExit } from '../../config/load.ts';
import { createLogger } from '../../app/log.ts';
import { openDb } from '../../app/storage/db.ts';
import { isReadOnly } from '../../app/storage/replication.ts';
import { openAuditLog } from '../../app/domain/audit/openAuditLog.ts';
import { guarded, workerJobs } from './jobs.ts';

const config = loadConfigOrExit({ process: 'worker' });
const log = createLogger(config.env.PARLEY_LOG_LEVEL, 'parley-worker');
const db = openDb(config);
const audit = openAuditLog(config, db, log);

const tasks = (await workerJobs({ config, db, audit })).map((job) => {
  if (!cron.validate(job.schedule)) {
    log.fatal({ job: job.name, schedule: job.schedule }, 'invalid cron expression');
    process.exit(78);
  }
  log.info({ job: job.name, schedule: job.schedule }, 'job scheduled');
  // A standby's database is read-only: its worker waits until a failover makes this site primary
  // (issue 15); backups, offsite copies and retention run on the primary only.
  const run = guarded(job, log);
  const whilePrimary = async () => {
    if (await isReadOnly(db).catch(() => false))
      return log.debug({ job: job.name }, 'standby; skipped');
    await run();
  };
  return cron.schedule(job.schedule, whilePrimary, { name: job.name, noOverlap: true });
});

const stop = () => {
  for (const task of tasks) void task.stop();
  // The audit log first: entries still queued for the syslog collector are sent before exiting.
  void audit
    .close()
    .catch(() => {})
    .then(() => db.destroy())
    .finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
log.info({ jobs: tasks.length }, 'worker started');
