// The worker process: node-cron runs every job of workerJobs() (jobs.ts) on its schedule.
import cron from 'node-cron';
import { loadConfigOrExit } from '../../config/load.ts';
import { createLogger } from '../../app/log.ts';
import { openDb } from '../../app/storage/db.ts';
import { isReadOnly } from '../../app/storage/replication.ts';
import { openAuditLog } from '../../app/domain/audit/openAuditLog.ts';
import { startFileShipping } from './fileShipper.ts';
import { semiSyncWatch } from './semiSyncWatch.ts';
import { guarded, workerJobs } from './jobs.ts';
import { standbyFilesSettings } from './settings.ts';

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

// Issue 15: the files volume follows the database to the standby, in a loop of its own.
const standby = await standbyFilesSettings(config).catch((error: unknown) => {
  log.fatal({ problem: (error as Error).message }, 'file shipping to the standby cannot start');
  process.exit(78);
});
const shipping = standby ? startFileShipping(config, db, standby, log) : null;
// A site of a DR pair records each fall back to asynchronous replication, and each recovery.
const semiSync = config.env.PARLEY_DR_PEER_DB_HOST ? semiSyncWatch(db, audit, log) : null;

const stop = () => {
  for (const task of tasks) void task.stop();
  // The shipper ends after the blob it is sending; then the audit log: entries still queued for
  // the syslog collector are sent before exiting.
  void Promise.all([shipping?.stop(), semiSync?.stop()])
    .catch(() => {})
    .then(() => audit.close())
    .catch(() => {})
    .then(() => db.destroy())
    .finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
log.info({ jobs: tasks.length, shippingFiles: shipping !== null }, 'worker started');
