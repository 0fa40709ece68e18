import type { AuditLog } from '../../app/domain/audit/auditLog.ts';
import type { Config } from '../../config/load.ts';
import type { BackupResult } from '../archive/createBackup.ts';
import { replicateAll } from './backupJob.ts';

const worker = { kind: 'system' as const, label: 'worker' };

/**
 * Offsite copies in the background, one round at a time. When a backup finishes while the copies
 * of an earlier one are still going, the newest waits and goes next (an older one still waiting
 * is dropped: the newest backup is what matters offsite). Each round is audited with its counts.
 */
export function backgroundReplication(config: Config, audit: AuditLog) {
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
