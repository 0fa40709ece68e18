// What a restore run by an ops command takes from the settings and the environment: IT's key
// (KEY, KEY_PASSPHRASE_FILE, or KEY_SESSION_FILE), the signing public key, and the live database
// and files volume with the migrations that follow the swap. Shared by `make restore` and
// `make failover FROM=offsite`.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/load.ts';
import { migrationsDir, openDb } from '../app/storage/db.ts';
import { forwardEntriesAfter, newestEntryId } from '../app/domain/audit/openAuditLog.ts';
import { dbAccess, parleyVersion } from '../backup/worker/settings.ts';
import {
  parseSessionKey,
  sessionKeyFromAgent,
  type SessionKey,
} from '../backup/archive/agentSessionKey.ts';
import type { BackupKeys } from '../backup/archive/decryption.ts';
import type { RestoreOptions } from '../backup/archive/restore.ts';
import { opsLogger } from './opsLogger.ts';

export type DecryptionKeys = Omit<BackupKeys, 'verificationKeys'>;

export interface KeysFromEnv {
  /** The keys for one backup file (for KEY=agent, gpg-agent gives that file's session key). */
  keysFor: (file: string) => Promise<DecryptionKeys>;
  /** The same for every file (a key file, a session key file); null for KEY=agent. */
  fixed: DecryptionKeys | null;
}

/**
 * The keys that open a backup: IT's private key (read once, here), gpg-agent (KEY=agent), or the
 * appliance's KEY_SESSION_FILE. Null when none is set.
 */
export async function decryptionKeysFromEnv(): Promise<KeysFromEnv | null> {
  const sessionFile = process.env.KEY_SESSION_FILE;
  const keyFile = process.env.KEY;
  let fixed: DecryptionKeys;
  if (sessionFile) fixed = { sessionKey: sessionKeyIn(await readFile(sessionFile, 'utf8')) };
  else if (!keyFile) return null;
  else if (keyFile === 'agent')
    return {
      keysFor: async (file) => ({ sessionKey: await sessionKeyFromAgent(file) }),
      fixed: null,
    };
  else {
    const passFile = process.env.KEY_PASSPHRASE_FILE;
    fixed = {
      decryptionKey: await readFile(keyFile, 'utf8'),
      ...(passFile ? { passphrase: (await readFile(passFile, 'utf8')).trim() } : {}),
    };
  }
  return { keysFor: () => Promise.resolve(fixed), fixed };
}

function sessionKeyIn(text: string): SessionKey {
  const key = parseSessionKey(text);
  if (!key)
    throw new Error('KEY_SESSION_FILE holds no session key as gpg --show-session-key prints it');
  return key;
}

/** SIGNING_PUBLIC_KEY, else PARLEY_BACKUP_SIGNING_KEY_FILE; null when neither is set. */
export function signingKeyFile(config: Config): string | null {
  return process.env.SIGNING_PUBLIC_KEY || config.env.PARLEY_BACKUP_SIGNING_KEY_FILE || null;
}

/** The signing key's public half: accepts a public key file or the appliance's private key file. */
export async function signingPublicKey(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  if (!text.includes('PRIVATE KEY BLOCK')) return text;
  const openpgp = await import('openpgp');
  return (await openpgp.readPrivateKey({ armoredKey: text })).toPublic().armor();
}

/** This site's database and files volume, and the migrations run once the restored data is live. */
export function liveRestoreOptions(
  config: Config,
): Pick<RestoreOptions, 'access' | 'filesDir' | 'parleyVersion' | 'knownMigrations' | 'migrate'> {
  return {
    access: dbAccess(config),
    filesDir: config.env.PARLEY_FILES_DIR,
    parleyVersion,
    knownMigrations: readdirSync(migrationsDir).filter((n) => n.endsWith('.ts')),
    migrate: async () => {
      const db = openDb(config);
      try {
        const before = await newestEntryId(db);
        const [, names] = (await db.migrate.latest()) as [number, string[]];
        await forwardEntriesAfter(config, db, before, opsLogger(config));
        return names;
      } finally {
        await db.destroy();
      }
    },
  };
}
