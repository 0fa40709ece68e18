// Writes one status file the way the worker does, in its own process, for the test that limits how
// large a file this process may write (prlimit --fsize): `drill DIR` runs a drill with no backup in
// DIR, `offsite DIR` copies DIR's one backup to the folder target DIR/offsite.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runDrill } from '../../backup/archive/drill.ts';
import { replicateAll } from '../../backup/worker/backupJob.ts';
import { testAccess } from './fixtures.ts';
import { testConfig } from '../harness/config.ts';

const [what, dir] = process.argv.slice(2) as [string, string];
if (what === 'drill') {
  const result = await runDrill({
    access: testAccess(),
    dir,
    decryptionKey: '',
    verificationKeys: '',
    parleyVersion: '0.1.0',
    knownMigrations: [],
  });
  console.log(JSON.stringify(result));
} else {
  const name = readdirSync(dir).find((n) => n.endsWith('.tar.gz.gpg'))!;
  const body = readFileSync(join(dir, name));
  const config = testConfig({
    PARLEY_BACKUP_DIR: dir,
    PARLEY_BACKUP_TARGET_DIR: join(dir, 'offsite'),
    PARLEY_BACKUP_SFTP_HOST: '',
    PARLEY_BACKUP_S3_BUCKET: '',
  });
  const backup = {
    file: join(dir, name),
    name,
    size: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    manifest: {} as never,
  };
  console.log(JSON.stringify(await replicateAll(config, backup, [])));
}
