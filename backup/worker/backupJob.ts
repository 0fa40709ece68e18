import { readFileSync } from 'node:fs';
import { readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import type { Config } from '../../config/load.ts';
import { createBackup, type BackupResult } from '../archive/createBackup.ts';
import { prune, pruneDirectory, type KeepRules, type PruneResult } from '../retention/keepRules.ts';
import { directoryTarget } from '../offsite/directoryTarget.ts';
import { replicate, type ReplicaResult } from '../offsite/replicate.ts';
import { sftpTarget } from '../offsite/sftpTarget.ts';
import type { Target } from '../offsite/target.ts';
import type { DbAccess } from '../archive/mariadb.ts';
import { s3Target } from '../offsite/s3Target.ts';
import { backupTime } from '../archive/manifest.ts';
import { restore } from '../archive/restore.ts';
import type { BackupDrillView } from '../../app/shared/protocol.ts';

export const parleyVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export function dbAccess(config: Config, database = config.env.PARLEY_DB_NAME): DbAccess {
  return {
    host: config.env.PARLEY_DB_HOST,
    port: config.env.PARLEY_DB_PORT,
    user: config.env.PARLEY_DB_USER,
    password: config.dbPassword,
    database,
  };
}

export function keepRules(config: Config): KeepRules {
  return {
    last: config.env.PARLEY_BACKUP_KEEP_LAST,
    daily: config.env.PARLEY_BACKUP_KEEP_DAILY,
    weekly: config.env.PARLEY_BACKUP_KEEP_WEEKLY,
    monthly: config.env.PARLEY_BACKUP_KEEP_MONTHLY,
    yearly: config.env.PARLEY_BACKUP_KEEP_YEARLY,
  };
}

export class BackupNotConfiguredError extends Error {}

export async function backupKeys(
  config: Config,
): Promise<{ recipients: string; signingKey: string }> {
  const { PARLEY_BACKUP_RECIPIENTS_FILE: r, PARLEY_BACKUP_SIGNING_KEY_FILE: s } = config.env;
  if (!r || !s) {
    throw new BackupNotConfiguredError(
      'backups are not configured: set PARLEY_BACKUP_RECIPIENTS_FILE (IT public keys) and PARLEY_BACKUP_SIGNING_KEY_FILE',
    );
  }
  return { recipients: await readFile(r, 'utf8'), signingKey: await readFile(s, 'utf8') };
}

export interface BackupRun {
  backup: BackupResult;
  filesKey: string | null;
  pruned: PruneResult;
  offsite: (ReplicaResult & { pruned?: PruneResult })[];
  /** The files copied offsite with the backup: its .sha256 and the files key artifact. */
  companions: string[];
}

/** The configured offsite targets. */
export async function offsiteTargets(config: Config): Promise<Target[]> {
  const env = config.env;
  const targets: Target[] = [];
  if (env.PARLEY_BACKUP_TARGET_DIR) targets.push(directoryTarget(env.PARLEY_BACKUP_TARGET_DIR));
  if (env.PARLEY_BACKUP_SFTP_HOST) {
    if (
      !env.PARLEY_BACKUP_SFTP_HOST_KEY ||
      !env.PARLEY_BACKUP_SFTP_KEY_FILE ||
      !env.PARLEY_BACKUP_SFTP_USER
    ) {
      throw new BackupNotConfiguredError(
        'PARLEY_BACKUP_SFTP_HOST needs PARLEY_BACKUP_SFTP_USER, PARLEY_BACKUP_SFTP_KEY_FILE and PARLEY_BACKUP_SFTP_HOST_KEY',
      );
    }
    targets.push(
      sftpTarget({
        host: env.PARLEY_BACKUP_SFTP_HOST,
        port: env.PARLEY_BACKUP_SFTP_PORT,
        username: env.PARLEY_BACKUP_SFTP_USER,
        privateKey: await readFile(env.PARLEY_BACKUP_SFTP_KEY_FILE, 'utf8'),
        hostKey: env.PARLEY_BACKUP_SFTP_HOST_KEY,
        path: env.PARLEY_BACKUP_SFTP_PATH,
      }),
    );
  }
  if (env.PARLEY_BACKUP_S3_BUCKET) {
    if (
      !env.PARLEY_BACKUP_S3_ENDPOINT ||
      !env.PARLEY_BACKUP_S3_ACCESS_KEY_ID ||
      !env.PARLEY_BACKUP_S3_SECRET_KEY_FILE
    ) {
      throw new BackupNotConfiguredError(
        'PARLEY_BACKUP_S3_BUCKET needs PARLEY_BACKUP_S3_ENDPOINT, PARLEY_BACKUP_S3_ACCESS_KEY_ID and PARLEY_BACKUP_S3_SECRET_KEY_FILE',
      );
    }
    const ca = env.PARLEY_BACKUP_S3_CA_FILE;
    targets.push(
      s3Target({
        endpoint: env.PARLEY_BACKUP_S3_ENDPOINT,
        region: env.PARLEY_BACKUP_S3_REGION,
        bucket: env.PARLEY_BACKUP_S3_BUCKET,
        prefix: env.PARLEY_BACKUP_S3_PREFIX,
        accessKeyId: env.PARLEY_BACKUP_S3_ACCESS_KEY_ID,
        secretKey: (await readFile(env.PARLEY_BACKUP_S3_SECRET_KEY_FILE, 'utf8')).trim(),
        pathStyle: env.PARLEY_BACKUP_S3_PATH_STYLE,
        ...(ca ? { ca: await readFile(ca, 'utf8') } : {}),
      }),
    );
  }
  return targets;
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
  await writeFile(
    join(config.env.PARLEY_BACKUP_DIR, 'offsite-status.json'),
    JSON.stringify({ at: new Date().toISOString(), backup: backup.name, results }, null, 2),
  );
  return results;
}

/**
 * lock → dump → archive → encrypt + sign → verify → rename → files key artifact → prune, then the
 * offsite copies unless `offsite: false` (the worker copies in the background instead).
 */
export async function runBackup(
  config: Config,
  options: { dryRunPrune?: boolean; offsite?: boolean } = {},
): Promise<BackupRun> {
  const keys = await backupKeys(config);
  const dir = config.env.PARLEY_BACKUP_DIR;
  const backup = await createBackup({
    access: dbAccess(config),
    dir,
    filesDir: config.env.PARLEY_FILES_DIR,
    ...keys,
    parleyVersion,
  });
  const filesKey = await writeFilesKeyArtifact(config, backup.name, keys);
  const pruned = await pruneDirectory(dir, keepRules(config), options.dryRunPrune);
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
  const name = backupName.replace('.tar.gz.gpg', '.files-key.gpg');
  const out = join(config.env.PARLEY_BACKUP_DIR, name);
  await writeFile(`${out}.tmp`, encrypted, { mode: 0o600 });
  await rename(`${out}.tmp`, out);
  return name;
}

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
  await writeFile(join(input.dir, 'drill-status.json'), JSON.stringify(result, null, 2));
  return result;
}

export async function lastDrill(dir: string): Promise<DrillResult | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'drill-status.json'), 'utf8')) as DrillResult;
  } catch {
    return null;
  }
}
