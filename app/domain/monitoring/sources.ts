import type { ClamdStatus } from '../../storage/clamd.ts';
import type { Store } from '../../storage/store.ts';

/** Where a reading (readings.ts) looks: the database, clamd and the data volumes. */
export interface ReadingSources {
  store: Store;
  clamd: { status(): Promise<ClamdStatus> };
  /** PARLEY_BACKUP_DIR and PARLEY_FILES_DIR. */
  backupDir: string;
  filesDir: string;
  now?: () => number;
}
