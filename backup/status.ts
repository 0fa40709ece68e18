import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupStatusView } from '../app/shared/protocol.ts';
import { lastDrill } from './worker/backupJob.ts';
import { backupTime } from './archive/manifest.ts';
import type { ReplicaResult } from './offsite/replicate.ts';

// What IT needs to see at a glance (GET /api/backups/status, Admin › Backups): the newest local
// backup, the last restore drill and the offsite copies, each read from PARLEY_BACKUP_DIR.

export type BackupStatus = BackupStatusView;

async function offsiteStatus(dir: string): Promise<BackupStatus['offsite']> {
  try {
    const raw = JSON.parse(await readFile(join(dir, 'offsite-status.json'), 'utf8')) as {
      at: string;
      backup: string;
      results: ReplicaResult[];
    };
    return {
      at: String(raw.at),
      backup: String(raw.backup),
      targets: (raw.results ?? []).map((r) => ({
        target: String(r.target),
        ok: r.ok === true,
        attempts: Number(r.attempts) || 0,
        ...(r.error ? { error: String(r.error) } : {}),
      })),
    };
  } catch {
    return null;
  }
}

export async function backupStatus(dir: string): Promise<BackupStatus> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => backupTime(name) !== null)
    .sort();
  const newest = names.at(-1);
  const lastBackup = newest
    ? {
        name: newest,
        at: backupTime(newest)!.toISOString(),
        bytes: (await stat(join(dir, newest))).size,
      }
    : null;
  const [drill, offsite] = await Promise.all([lastDrill(dir), offsiteStatus(dir)]);
  const alerts: string[] = [];
  if (!lastBackup) alerts.push('no backup yet');
  if (drill && !drill.ok)
    alerts.push(`last restore drill failed: ${drill.error ?? 'unknown error'}`);
  for (const target of offsite?.targets ?? []) {
    if (!target.ok) {
      alerts.push(
        `offsite ${target.target}: copy of ${offsite!.backup} failed after ${target.attempts} attempt${target.attempts === 1 ? '' : 's'}${target.error ? ` (${target.error})` : ''}`,
      );
    }
  }
  return { lastBackup, backups: names.length, lastDrill: drill, offsite, alerts };
}
