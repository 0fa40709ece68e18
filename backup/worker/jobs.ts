import type { Logger } from '../../app/log.ts';
import type { AgentSessions } from '../../app/domain/agentSessions.ts';

/** A scheduled job is data: a name, a cron expression and what it runs. */
export interface Job {
  name: string;
  schedule: string;
  run(): Promise<Record<string, number>>;
}

export function jobs(deps: {
  sessions: AgentSessions;
  sessionPurgeCron: string;
  /** The backup and drill jobs, when configured. */
  backupJobs?: Job[];
  /** Audit-entry retention (PARLEY_AUDIT_RETENTION_DAYS), on the data retention schedule. */
  auditRetention?: Omit<Job, 'name'>;
  /** Sign-in upkeep: summaries of ended refusal windows, expired device trust. */
  signinUpkeep?: { run(): Promise<Record<string, number>> };
}): Job[] {
  const list: Job[] = [
    {
      name: 'purge-expired-sessions',
      schedule: deps.sessionPurgeCron,
      run: async () => ({ removed: await deps.sessions.purgeExpired() }),
    },
  ];
  if (deps.signinUpkeep) {
    const upkeep = deps.signinUpkeep;
    list.push({ name: 'signin-upkeep', schedule: deps.sessionPurgeCron, run: () => upkeep.run() });
  }
  if (deps.auditRetention) list.push({ name: 'audit-retention', ...deps.auditRetention });
  return [...list, ...(deps.backupJobs ?? [])];
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
