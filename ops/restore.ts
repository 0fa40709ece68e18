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
import { loadConfigOrExit } from '../config/load.ts';
import { offsiteTargets } from '../backup/worker/settings.ts';
import { backupHead } from '../backup/archive/agentSessionKey.ts';
import { locateBackup } from '../backup/offsite/locateBackup.ts';
import { restore } from '../backup/archive/restore.ts';
import { confirmRestore, rollbackRestore } from '../backup/archive/rollback.ts';
import { recordOpsAudit } from './opsAudit.ts';
import {
  decryptionKeysFromEnv,
  liveRestoreOptions,
  signingKeyFile,
  signingPublicKey,
  type DecryptionKeys,
} from './restoreSetup.ts';

const config = loadConfigOrExit({ process: 'ops' });
const live = liveRestoreOptions(config);
const { access, filesDir } = live;

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
  const keys = spec ? await decryptionKeysFromEnv() : null;
  if (!spec || !keys) {
    console.error(
      'usage: make restore BACKUP=<backup file, or name here or offsite> KEY=<IT private key file, or agent> [KEY_PASSPHRASE_FILE=<file>]',
    );
    process.exitCode = 64;
    return;
  }
  const signingFile = signingKeyFile(config);
  if (!signingFile) {
    console.error(
      'set SIGNING_PUBLIC_KEY=<appliance signing public key> or PARLEY_BACKUP_SIGNING_KEY_FILE',
    );
    process.exitCode = 64;
    return;
  }
  const verificationKeys = await signingPublicKey(signingFile);
  const located = await locate(spec, (line) => console.log(line));
  try {
    await restoreFrom(located.file, { ...(await keys.keysFor(located.file)), verificationKeys });
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

async function restoreFrom(
  file: string,
  keys: DecryptionKeys & { verificationKeys: string },
): Promise<void> {
  const report = await restore({
    ...live,
    file,
    ...keys,
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

try {
  await main();
} catch (error) {
  console.error((error as Error).message.split('\n')[0]);
  process.exitCode = 1;
}
