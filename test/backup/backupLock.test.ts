import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, mkdtempSync, writeFileSync } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { takeLock } from '../../backup/archive/mariadb.ts';
import { runBackup } from '../../backup/worker/backupJob.ts';
import { testConfig } from '../harness/config.ts';
import { keyPair, testAccess } from './fixtures.ts';

// Issue 13: runBackup let go of the backup lock once the archive had its final name, before the
// files-key artifact was written and the keep rules pruned the folder, so a restore or another
// backup could start while this run still wrote and deleted there. The files master key is a FIFO
// here: the files-key step waits on it, and meanwhile the test asks for the lock.

/** Opens the FIFO for writing once its reader (the backup) has opened it: polls, never blocks. */
async function whenRead(fifo: string, running: Promise<unknown>): Promise<FileHandle> {
  let finished = false;
  void running.then(
    () => (finished = true),
    () => (finished = true),
  );
  for (;;) {
    try {
      return await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      if (finished)
        throw new Error('the backup ended without reading the files master key', {
          cause: error,
        });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('the backup lock (issue 13)', () => {
  it('is held from the dump to the files-key artifact and the prune', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-backup-lock-'));
    const fifo = join(dir, 'files_master_key');
    execFileSync('mkfifo', [fifo]);
    const [it_, signer] = await Promise.all([keyPair('IT'), keyPair('appliance')]);
    writeFileSync(join(dir, 'recipients.asc'), it_.publicKey);
    writeFileSync(join(dir, 'signing.asc'), signer.privateKey);
    const config = testConfig({
      PARLEY_BACKUP_DIR: join(dir, 'backups'),
      PARLEY_BACKUP_RECIPIENTS_FILE: join(dir, 'recipients.asc'),
      PARLEY_BACKUP_SIGNING_KEY_FILE: join(dir, 'signing.asc'),
      PARLEY_FILES_MASTER_KEY_FILE: fifo,
      PARLEY_FILES_DIR: join(dir, 'files'),
    });

    const running = runBackup(config, { offsite: false });
    const key = await whenRead(fifo, running); // the backup is in its files-key step now
    const other = await takeLock(testAccess(), 'backup');
    await other?.release();
    await key.writeFile(randomBytes(32).toString('base64'));
    await key.close();
    const run = await running;

    expect(other, 'another backup or a restore got the lock mid-run').toBeNull();
    expect(run.filesKey).toBe(run.backup.name.replace('.tar.gz.gpg', '.files-key.gpg'));
    expect(await readdir(join(dir, 'backups'))).toContain(run.filesKey);
  });
});
