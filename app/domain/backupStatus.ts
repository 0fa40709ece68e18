import type { BackupStatusView } from '../shared/protocol.ts';
import { lastDrill, localBackups, offsiteStatus } from '../storage/backupStatus.ts';

// What IT needs to see at a glance (GET /api/backups/status, Admin › Backups, `make backup-status`):
// the newest local backup, the last restore drill, the offsite copies, and what needs attention.

export type BackupStatus = BackupStatusView;

export async function backupStatus(dir: string): Promise<BackupStatus> {
  const [local, drill, offsite] = await Promise.all([
    localBackups(dir),
    lastDrill(dir),
    offsiteStatus(dir),
  ]);
  const alerts: string[] = [];
  if (!local.newest) alerts.push('no backup yet');
  if (drill && !drill.ok)
    alerts.push(`last restore drill failed: ${drill.error ?? 'unknown error'}`);
  for (const target of offsite?.targets ?? []) {
    if (!target.ok) {
      alerts.push(
        `offsite ${target.target}: copy of ${offsite!.backup} failed after ${target.attempts} attempt${target.attempts === 1 ? '' : 's'}${target.error ? ` (${target.error})` : ''}`,
      );
    }
  }
  return { lastBackup: local.newest, backups: local.count, lastDrill: drill, offsite, alerts };
}
