// Runs one backup in its own process for the kill-mid-backup test: after the first archived part
// it tells the parent and waits to be killed.
import { createBackup, type BackupOptions } from '../../backup/archive/createBackup.ts';

const options = JSON.parse(process.env.PARLEY_BACKUP_CHILD ?? '{}') as BackupOptions;
await createBackup({
  ...options,
  onPart: async () => {
    process.send?.('part');
    await new Promise(() => {});
  },
});
