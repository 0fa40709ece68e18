// `make backup-drill [KEY=<recipient private key>]`: restores the newest backup into a scratch
// database, checks it against its manifest, drops it, and records the result.
// Without KEY it uses PARLEY_BACKUP_DRILL_KEY_FILE; `--status` only prints the last drill.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';
import { loadConfigOrExit } from '../config/load.ts';
import { migrationsDir, openDb } from '../app/storage/db.ts';
import { openAuditLog } from '../app/domain/audit/openAuditLog.ts';
import { lastDrill } from '../app/storage/backupStatus.ts';
import { runDrill, type DrillResult } from '../backup/archive/drill.ts';
import { dbAccess, parleyVersion } from '../backup/worker/settings.ts';
import { opsLogger } from './opsLogger.ts';

const config = loadConfigOrExit({ process: 'ops' });
const dir = config.env.PARLEY_BACKUP_DIR;

function show(drill: DrillResult | null): void {
  if (!drill) console.log('last drill: none');
  else if (drill.ok)
    console.log(
      `last drill: ${drill.at} OK — ${drill.backup}: ${drill.tables} tables, ${drill.rows} rows, ${drill.files} files match the manifest`,
    );
  else
    console.log(`last drill: ${drill.at} FAILED — ${drill.backup ?? 'no backup'}: ${drill.error}`);
}

if (process.argv.includes('--status')) {
  show(await lastDrill(dir));
  process.exit(0);
}
const keyFile = process.env.KEY || config.env.PARLEY_BACKUP_DRILL_KEY_FILE;
if (!keyFile || !config.env.PARLEY_BACKUP_SIGNING_KEY_FILE) {
  console.error(
    'usage: make backup-drill KEY=<recipient private key file> (or set PARLEY_BACKUP_DRILL_KEY_FILE)',
  );
  process.exit(64);
}
// The signing key file may hold the private key (the worker's) or only its public half (the
// appliance's one-off drill container, which checks signatures and never signs).
const signingKey = await readFile(config.env.PARLEY_BACKUP_SIGNING_KEY_FILE, 'utf8');
const signing = signingKey.includes('PRIVATE KEY BLOCK')
  ? (await openpgp.readPrivateKey({ armoredKey: signingKey })).toPublic()
  : await openpgp.readKey({ armoredKey: signingKey });
const result = await runDrill({
  access: dbAccess(config),
  dir,
  decryptionKey: await readFile(keyFile, 'utf8'),
  verificationKeys: signing.armor(),
  parleyVersion,
  knownMigrations: readdirSync(migrationsDir).filter((n) => n.endsWith('.ts')),
});
show(result);
const db = openDb(config);
const audit = openAuditLog(config, db, opsLogger(config));
try {
  await audit.record({
    actor: { kind: 'system', label: 'worker' },
    action: 'backup.drill',
    outcome: result.ok ? 'success' : 'failure',
    details: { backup: result.backup, tables: result.tables ?? 0, rows: result.rows ?? 0 },
  });
} catch (error) {
  console.error(
    `warning: the audit entry could not be written (${(error as Error).message.split('\n')[0]})`,
  );
} finally {
  await audit.close();
  await db.destroy();
}
if (!result.ok) process.exitCode = 1;
