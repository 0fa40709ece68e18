// `make backup-status` (and the backup part of the appliance's `make status`): the newest backup,
// the last restore drill, the offsite copies of the last backup and every alert, read from
// PARLEY_BACKUP_DIR by backupStatus() (the same status as Admin › Backups). Exits 3 when there is an
// alert, so monitoring can run it; `--json` prints the status as JSON instead.
import { loadConfigOrExit } from '../config/load.ts';
import { backupStatus, type BackupStatus } from '../app/domain/backupStatus.ts';
import { formatBytes } from '../app/shared/formatBytes.ts';

/** Exit status when the backups need attention (as `make backup` when an offsite copy failed). */
export const ALERT_EXIT = 3;

export function age(at: string, now: Date): string {
  const minutes = Math.floor((now.getTime() - Date.parse(at)) / 60_000);
  if (!Number.isFinite(minutes)) return 'at an unknown time';
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ago`;
  return `${Math.floor(minutes / 1440)} d ago`;
}

export const size = formatBytes;

/** `1 table`, `12,345 rows`. */
const count = (n: number | undefined, what: string) =>
  `${(n ?? 0).toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;

/** The status as lines for people; `dir` names where the backups are. */
export function formatBackupStatus(status: BackupStatus, now: Date, dir?: string): string[] {
  const lines = [dir ? `Backups (${dir}):` : 'Backups:'];
  const { lastBackup, lastDrill: drill, offsite } = status;
  lines.push(
    lastBackup
      ? `  newest:   ${lastBackup.name}, ${age(lastBackup.at, now)}, ${size(lastBackup.bytes)} (${status.backups} kept)`
      : '  newest:   none yet',
  );
  if (!drill) lines.push('  drill:    none yet (make backup-drill KEY=<IT private key>)');
  else if (drill.ok)
    lines.push(
      `  drill:    OK ${age(drill.at, now)} (${drill.at}), ${drill.backup}: ${count(drill.tables, 'table')}, ` +
        `${count(drill.rows, 'row')} and ${count(drill.files, 'file')} match its manifest; signature and checksums good`,
    );
  else
    lines.push(
      `  drill:    FAILED ${age(drill.at, now)} (${drill.at}), ${drill.backup ?? 'no backup'}: ${drill.error ?? 'unknown error'}`,
    );
  if (!offsite) lines.push('  offsite:  nothing recorded yet');
  else if (offsite.targets.length === 0) lines.push('  offsite:  no target configured');
  else {
    lines.push(`  offsite:  copies of ${offsite.backup} (${age(offsite.at, now)}):`);
    const width = Math.max(...offsite.targets.map((t) => t.target.length));
    for (const t of offsite.targets) {
      const tries = `${t.attempts} attempt${t.attempts === 1 ? '' : 's'}`;
      lines.push(
        `    ${t.target.padEnd(width)}  ${t.ok ? `copied and verified (${tries})` : `FAILED after ${tries}${t.error ? `: ${t.error}` : ''}`}`,
      );
    }
  }
  for (const alert of status.alerts) lines.push(`  ALERT ${alert}`);
  return lines;
}

if (import.meta.main) {
  const config = loadConfigOrExit({ process: 'ops' });
  const dir = config.env.PARLEY_BACKUP_DIR;
  const status = await backupStatus(dir);
  if (process.argv.includes('--json')) console.log(JSON.stringify(status, null, 2));
  else console.log(formatBackupStatus(status, new Date(), dir).join('\n'));
  if (status.alerts.length > 0) process.exitCode = ALERT_EXIT;
}
