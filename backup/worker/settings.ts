import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Config } from '../../config/load.ts';
import type { DbAccess } from '../archive/mariadb.ts';
import { directoryTarget } from '../offsite/directoryTarget.ts';
import { s3Target } from '../offsite/s3Target.ts';
import type { StandbyFilesSettings } from '../offsite/standbyFiles.ts';
import { sftpTarget } from '../offsite/sftpTarget.ts';
import type { Target } from '../offsite/target.ts';
import type { KeepRules } from '../retention/keepRules.ts';

// What the backup jobs take from the configuration, read the same way by the worker and by the ops
// commands that run the same jobs by hand (`make backup`, `make backup-drill`, `make restore`).

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
    tlsCaFile: config.env.PARLEY_DB_TLS_CA_FILE || undefined,
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

/** Where the files go to the standby site (issue 15); null when shipping is off. */
export async function standbyFilesSettings(config: Config): Promise<StandbyFilesSettings | null> {
  const env = config.env;
  if (!env.PARLEY_DR_FILES_SFTP_HOST) return null;
  let privateKey: string;
  try {
    privateKey = await readFile(env.PARLEY_DR_FILES_SFTP_KEY_FILE, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new BackupNotConfiguredError(
      `PARLEY_DR_FILES_SFTP_KEY_FILE: cannot read ${env.PARLEY_DR_FILES_SFTP_KEY_FILE} (${code})`,
    );
  }
  return {
    host: env.PARLEY_DR_FILES_SFTP_HOST,
    port: env.PARLEY_DR_FILES_SFTP_PORT,
    username: env.PARLEY_DR_FILES_SFTP_USER,
    privateKey,
    hostKey: env.PARLEY_DR_FILES_SFTP_HOST_KEY,
    path: env.PARLEY_DR_FILES_SFTP_PATH,
  };
}
