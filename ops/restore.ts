// `make restore BACKUP=<file or name> KEY=<IT private key file | agent>`: restores a backup into a
// staging database, checks it, swaps it in and keeps the replaced data until `make restore-confirm`
// (or `make restore-rollback`). The private key is read for this run only, never stored; a
// passphrase-protected key reads its passphrase from the file named by KEY_PASSPHRASE_FILE.
// KEY=agent leaves the key with GnuPG (gpg-agent, a smartcard): gpg decrypts only this backup's
// session key. In the appliance, gpg runs on the host: `--head` writes the backup's first bytes to
// stdout for it, and the session key comes back in the file KEY_SESSION_FILE.
// BACKUP may be a path, a backup's name in PARLEY_BACKUP_DIR, or the name of an offsite copy
// (`sftp:NAME`, `s3:NAME`, `dir:NAME` to pick the kind), downloaded for this restore only.
// `--confirm` / `--rollback` finish a restore.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadConfigOrExit } from '../config/load.ts';
import { migrationsDir, openDb } from '../app/storage/db.ts';
import { forwardEntriesAfter, newestEntryId } from '../app/domain/audit/openAuditLog.ts';
import { dbAccess, offsiteTargets, parleyVersion } from '../backup/worker/settings.ts';
import {
  backupHead,
  parseSessionKey,
  sessionKeyFromAgent,
  type SessionKey,
} from '../backup/archive/agentSessionKey.ts';
import { locateBackup } from '../backup/offsite/locateBackup.ts';
import type { BackupKeys } from '../backup/archive/decryption.ts';
import { restore } from '../backup/archive/restore.ts';
import { confirmRestore, rollbackRestore } from '../backup/archive/rollback.ts';
import { recordOpsAudit } from './opsAudit.ts';
import { opsLogger } from './opsLogger.ts';

const config = loadConfigOrExit({ process: 'ops' });
const access = dbAccess(config);
const filesDir = config.env.PARLEY_FILES_DIR;

const audited = (action: string, details: Record<string, unknown>) =>
  recordOpsAudit(config, 'restore', { action, outcome: 'success', details });

async function main(): Promise<void> {
  if (process.argv.includes('--confirm')) {
    const dropped = await confirmRestore(access, filesDir);
    console.log(
      dropped.length
        ? `restore confirmed; dropped rollback point ${dropped.join(', ')}`
        : 'no restore awaits confirmation',
    );
    if (dropped.length) await audited('restore.confirm', { dropped: dropped.length });
    return;
  }
  if (process.argv.includes('--rollback')) {
    const back = await rollbackRestore(access, filesDir);
    console.log(
      back
        ? `rolled back: the data from before the restore is live again (${back})`
        : 'no restore to roll back',
    );
    if (back) await audited('restore.rollback', { from: back });
    return;
  }
  const spec = process.env.BACKUP;
  if (spec && process.argv.includes('--head')) {
    const located = await locate(spec, (line) => console.error(line)); // stdout carries the bytes
    try {
      process.stdout.write(await backupHead(located.file));
    } finally {
      await located.cleanup();
    }
    return;
  }
  if (!spec || (!process.env.KEY && !process.env.KEY_SESSION_FILE)) {
    console.error(
      'usage: make restore BACKUP=<backup file, or name here or offsite> KEY=<IT private key file, or agent> [KEY_PASSPHRASE_FILE=<file>]',
    );
    process.exitCode = 64;
    return;
  }
  const signingKeyFile =
    process.env.SIGNING_PUBLIC_KEY || config.env.PARLEY_BACKUP_SIGNING_KEY_FILE;
  if (!signingKeyFile) {
    console.error(
      'set SIGNING_PUBLIC_KEY=<appliance signing public key> or PARLEY_BACKUP_SIGNING_KEY_FILE',
    );
    process.exitCode = 64;
    return;
  }
  const verificationKeys = await signingPublicKey(signingKeyFile);
  const located = await locate(spec, (line) => console.log(line));
  try {
    await restoreFrom(located.file, verificationKeys);
  } finally {
    await located.cleanup();
  }
}

function locate(spec: string, say: (line: string) => void) {
  return locateBackup(spec, {
    backupDir: config.env.PARLEY_BACKUP_DIR,
    targets: () => offsiteTargets(config),
    say,
  });
}

/** The keys for `file`: KEY (a file, or agent), or KEY_SESSION_FILE (the appliance's agent path). */
async function keysFor(file: string): Promise<Omit<BackupKeys, 'verificationKeys'>> {
  const sessionFile = process.env.KEY_SESSION_FILE;
  if (sessionFile) return { sessionKey: sessionKeyIn(await readFile(sessionFile, 'utf8')) };
  const keyFile = process.env.KEY!;
  if (keyFile === 'agent') return { sessionKey: await sessionKeyFromAgent(file) };
  const passFile = process.env.KEY_PASSPHRASE_FILE;
  return {
    decryptionKey: await readFile(keyFile, 'utf8'),
    ...(passFile ? { passphrase: (await readFile(passFile, 'utf8')).trim() } : {}),
  };
}

async function restoreFrom(file: string, verificationKeys: string): Promise<void> {
  const report = await restore({
    access,
    file,
    ...(await keysFor(file)),
    verificationKeys,
    filesDir,
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
    progress: (line) => console.log(line),
  });
  await audited('restore.swap', {
    backup: report.manifest.createdAt,
    tables: report.tables,
    rows: report.rows,
    files: report.files,
    migrated: report.migrated.length,
  });
  console.log(
    `restored the backup of ${report.manifest.createdAt} (Parley ${report.manifest.parleyVersion}):`,
  );
  console.log(
    `  ${report.tables} tables, ${report.rows} rows, ${report.files} files; ${report.migrated.length} migration(s) applied`,
  );
  console.log(
    `  the replaced data is kept in database ${report.rollbackDatabase}${report.rollbackFiles ? ` and ${report.rollbackFiles}` : ''}`,
  );
  console.log(
    '  check Parley, then run `make restore-confirm` to keep this, or `make restore-rollback` to undo it',
  );
}

/** The signing key's public half: accepts a public key file or the appliance's private key file. */
function sessionKeyIn(text: string): SessionKey {
  const key = parseSessionKey(text);
  if (!key)
    throw new Error('KEY_SESSION_FILE holds no session key as gpg --show-session-key prints it');
  return key;
}

async function signingPublicKey(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  if (!text.includes('PRIVATE KEY BLOCK')) return text;
  const openpgp = await import('openpgp');
  return (await openpgp.readPrivateKey({ armoredKey: text })).toPublic().armor();
}

try {
  await main();
} catch (error) {
  console.error((error as Error).message.split('\n')[0]);
  process.exitCode = 1;
}
