// `make backup`: takes an encrypted, signed backup now (the same job the worker runs on schedule).
// `ARGS=--prune-dry-run` lists which backups the keep rules would delete without deleting them.
import { loadConfigOrExit } from '../config/load.ts';
import type { AuditEntry } from '../app/domain/audit/auditLog.ts';
import { runBackup, type BackupRun } from '../backup/worker/backupJob.ts';
import { recordOpsAudit } from './opsAudit.ts';

const config = loadConfigOrExit({ process: 'ops' });
const dryRun = process.argv.includes('--prune-dry-run');
const started = performance.now();

async function audit(entry: Omit<AuditEntry, 'actor'>): Promise<void> {
  try {
    await recordOpsAudit(config, 'worker', entry);
  } catch (error) {
    console.error(
      `warning: the audit entry could not be written (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

function report(run: BackupRun): void {
  const { backup, pruned } = run;
  const rows = Object.values(backup.manifest.tables).reduce((a, b) => a + b, 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`backup written: ${backup.file}`);
  console.log(`  ${backup.size} bytes, sha256 ${backup.sha256}`);
  console.log(
    `  ${Object.keys(backup.manifest.tables).length} tables, ${rows} rows, ${backup.manifest.parts.length} parts, ${seconds} s`,
  );
  if (run.filesKey) console.log(`files master key artifact: ${run.filesKey}`);
  const verb = dryRun ? 'would delete' : 'deleted';
  const list = pruned.deleted.length ? `: ${pruned.deleted.join(', ')}` : '';
  console.log(`retention: kept ${pruned.kept.length}, ${verb} ${pruned.deleted.length}${list}`);
  for (const copy of run.offsite) {
    if (copy.ok) {
      const gone = copy.pruned ? `; retention ${verb} ${copy.pruned.deleted.length}` : '';
      console.log(`offsite ${copy.target}: copied and verified (attempt ${copy.attempts})${gone}`);
    } else {
      console.log(
        `ALERT offsite ${copy.target}: failed after ${copy.attempts} attempts: ${copy.error}`,
      );
    }
  }
}

let run: BackupRun;
try {
  run = await runBackup(config, { dryRunPrune: dryRun });
} catch (error) {
  console.error(`backup failed: ${(error as Error).message.split('\n')[0]}`);
  await audit({
    action: 'backup.create',
    outcome: 'failure',
    details: { reason: (error as Error).name },
  });
  process.exit(1);
}
report(run);
const rows = Object.values(run.backup.manifest.tables).reduce((a, b) => a + b, 0);
await audit({
  action: 'backup.create',
  outcome: 'success',
  details: {
    name: run.backup.name,
    bytes: run.backup.size,
    tables: Object.keys(run.backup.manifest.tables).length,
    rows,
    pruned: run.pruned.deleted.length,
    offsiteOk: run.offsite.filter((c) => c.ok).length,
    offsiteFailed: run.offsite.filter((c) => !c.ok).length,
  },
});
if (run.offsite.some((c) => !c.ok)) process.exitCode = 3;
