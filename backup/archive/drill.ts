import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DRILL_STATUS, backupTime, writeStatusFile } from '../../app/storage/backupStatus.ts';
import type { BackupDrillView } from '../../app/shared/protocol.ts';
import type { DbAccess } from './mariadb.ts';
import { restore } from './restore.ts';

export type DrillResult = BackupDrillView;

/**
 * The restore drill: restores the newest local backup into a scratch database, checks every part
 * and row count against the manifest, drops it, and records the result in drill-status.json.
 */
export async function runDrill(input: {
  access: DbAccess;
  dir: string;
  decryptionKey: string;
  verificationKeys: string;
  parleyVersion: string;
  knownMigrations: string[];
}): Promise<DrillResult> {
  const names = (await readdir(input.dir)).filter((n) => backupTime(n) !== null).sort();
  const newest = names.at(-1) ?? null;
  const at = new Date().toISOString();
  let result: DrillResult;
  if (!newest) result = { at, backup: null, ok: false, error: 'no backup to drill' };
  else {
    try {
      const report = await restore({
        access: input.access,
        file: join(input.dir, newest),
        decryptionKey: input.decryptionKey,
        verificationKeys: input.verificationKeys,
        parleyVersion: input.parleyVersion,
        knownMigrations: input.knownMigrations,
        migrate: () => Promise.resolve([]),
        drill: true,
        filesDir: join(input.dir, '.drill-files'),
      });
      result = {
        at,
        backup: newest,
        ok: true,
        tables: report.tables,
        rows: report.rows,
        files: report.files,
      };
    } catch (error) {
      result = { at, backup: newest, ok: false, error: (error as Error).message.split('\n')[0] };
    }
  }
  await writeStatusFile(input.dir, DRILL_STATUS, result);
  return result;
}
