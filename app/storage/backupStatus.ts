import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncPath } from './fsync.ts';
import type { BackupDrillView, BackupStatusView } from '../shared/protocol.ts';

// The backup folder (PARLEY_BACKUP_DIR) as files: the backups' names, the newest backup, the last
// restore drill (drill-status.json) and the offsite copies of the last backup (offsite-status.json).
// Read for GET /api/backups/status, Admin › Backups and `make backup-status` (domain/backupStatus.ts);
// the worker and the ops commands (backup/) name backups and write the status files with it too.

export const BACKUP_PATTERN = /^parley-(\d{8}T\d{6}Z)\.tar\.gz\.gpg$/;
export const DRILL_STATUS = 'drill-status.json';
export const OFFSITE_STATUS = 'offsite-status.json';

export function backupName(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `parley-${stamp}.tar.gz.gpg`;
}

/** The creation time encoded in a backup's file name, or null for any other file. */
export function backupTime(name: string): Date | null {
  const match = BACKUP_PATTERN.exec(name);
  if (!match) return null;
  const s = match[1]!;
  return new Date(
    `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`,
  );
}

/**
 * Replaces a status file whole or not at all: written to a temporary name in the same folder,
 * fsynced, then renamed over the old one. A crash or a full disk mid-write leaves the previous
 * status, and a reader never sees half of one. (Not `.tmp`: a backup's clean-up deletes those.)
 */
export async function writeStatusFile(dir: string, name: string, status: unknown): Promise<void> {
  const temporary = join(dir, `.${name}.${process.pid}.writing`);
  try {
    await writeFile(temporary, JSON.stringify(status, null, 2));
    await fsyncPath(temporary);
    await rename(temporary, join(dir, name));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await fsyncPath(dir);
}

/** The last restore drill, or null when there was none (or its status cannot be read). */
export async function lastDrill(dir: string): Promise<BackupDrillView | null> {
  try {
    return JSON.parse(await readFile(join(dir, DRILL_STATUS), 'utf8')) as BackupDrillView;
  } catch {
    return null;
  }
}

/** One target's result as offsite-status.json records it. */
interface RecordedCopy {
  target: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

/** The offsite copies of the last backup, or null when none were recorded (or unreadable). */
export async function offsiteStatus(dir: string): Promise<BackupStatusView['offsite']> {
  try {
    const raw = JSON.parse(await readFile(join(dir, OFFSITE_STATUS), 'utf8')) as {
      at: string;
      backup: string;
      results: RecordedCopy[];
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

/** How many backups the folder holds, and the newest one (null when there is none). */
export async function localBackups(
  dir: string,
): Promise<{ count: number; newest: BackupStatusView['lastBackup'] }> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => backupTime(name) !== null)
    .sort();
  const newest = names.at(-1);
  return {
    count: names.length,
    newest: newest
      ? {
          name: newest,
          at: backupTime(newest)!.toISOString(),
          bytes: (await stat(join(dir, newest))).size,
        }
      : null,
  };
}
