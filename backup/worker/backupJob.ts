import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import type { Config } from '../../config/load.ts';
import { OFFSITE_STATUS, writeStatusFile } from '../../app/storage/backupStatus.ts';
import { withBackupLock } from '../archive/backupLock.ts';
import { filesKeyArtifactName } from '../archive/filesKeyArtifact.ts';
import { writeBackup, type BackupResult } from '../archive/createBackup.ts';
import { replicate, type ReplicaResult } from '../offsite/replicate.ts';
import { prune, pruneDirectory, type PruneResult } from '../retention/keepRules.ts';
import { backupKeys, dbAccess, keepRules, offsiteTargets, parleyVersion } from './settings.ts';

export interface BackupRun {
  backup: BackupResult;
  filesKey: string | null;
  pruned: PruneResult;
  offsite: (ReplicaResult & { pruned?: PruneResult })[];
  /** The files copied offsite with the backup: its .sha256 and the files key artifact. */
  companions: string[];
}

/** Copies a finished backup to every target (verified), then applies the keep rules there. */
export async function replicateAll(
  config: Config,
  backup: BackupResult,
  companions: string[],
  dryRun = false,
): Promise<BackupRun['offsite']> {
  const results: BackupRun['offsite'] = [];
  for (const target of await offsiteTargets(config)) {
    const result = await replicate(
      target,
      { ...backup, companions },
      { attempts: config.env.PARLEY_BACKUP_OFFSITE_ATTEMPTS },
    );
    if (!result.ok) {
      results.push(result);
      continue;
    }
    const pruned = await prune(target, keepRules(config), dryRun).catch(() => undefined);
    await target.close();
    results.push(pruned ? { ...result, pruned } : result);
  }
  await writeStatusFile(config.env.PARLEY_BACKUP_DIR, OFFSITE_STATUS, {
    at: new Date().toISOString(),
    backup: backup.name,
    results,
  });
  return results;
}

/**
 * lock → dump → archive → encrypt + sign → verify → rename → files key artifact → prune → unlock,
 * then the offsite copies unless `offsite: false` (the worker copies in the background instead).
 * The copies stay outside the lock: a slow or absent target never holds up a restore.
 */
export async function runBackup(
  config: Config,
  options: { dryRunPrune?: boolean; offsite?: boolean } = {},
): Promise<BackupRun> {
  const keys = await backupKeys(config);
  const dir = config.env.PARLEY_BACKUP_DIR;
  const access = dbAccess(config);
  const { backup, filesKey, pruned } = await withBackupLock(access, dir, async () => {
    const written = await writeBackup({
      access,
      dir,
      filesDir: config.env.PARLEY_FILES_DIR,
      ...keys,
      parleyVersion,
    });
    const filesKey = await writeFilesKeyArtifact(config, written.name, keys);
    const pruned = await pruneDirectory(dir, keepRules(config), options.dryRunPrune);
    return { backup: written, filesKey, pruned };
  });
  const companions = [`${backup.file}.sha256`, ...(filesKey ? [join(dir, filesKey)] : [])];
  const offsite =
    options.offsite === false
      ? []
      : await replicateAll(config, backup, companions, options.dryRunPrune);
  return { backup, filesKey, pruned, offsite, companions };
}

/**
 * The files master key travels as its own small artifact, encrypted and signed like the backup:
 * IT can keep it under stricter custody than the bulk archives that go offsite, and restoring
 * data onto an appliance that already has its key never overwrites that key.
 */
async function writeFilesKeyArtifact(
  config: Config,
  backupName: string,
  keys: { recipients: string; signingKey: string },
): Promise<string | null> {
  const path = config.env.PARLEY_FILES_MASTER_KEY_FILE;
  if (!path) return null;
  try {
    await stat(path);
  } catch {
    return null;
  }
  const message = await openpgp.createMessage({ binary: new Uint8Array(await readFile(path)) });
  const encrypted = (await openpgp.encrypt({
    message,
    encryptionKeys: await openpgp.readKeys({ armoredKeys: keys.recipients }),
    signingKeys: await openpgp.readPrivateKey({ armoredKey: keys.signingKey }),
    format: 'binary',
  })) as unknown as Uint8Array;
  const name = filesKeyArtifactName(backupName);
  const out = join(config.env.PARLEY_BACKUP_DIR, name);
  await writeFile(`${out}.tmp`, encrypted, { mode: 0o600 });
  await rename(`${out}.tmp`, out);
  return name;
}
