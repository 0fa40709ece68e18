import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Config } from '../../config/load.ts';
import { openDb } from '../../app/storage/db.ts';
import { readReplication } from '../../app/storage/replication.ts';
import {
  filesKeyArtifactName,
  installFilesKey,
  openFilesKeyArtifact,
} from '../../backup/archive/filesKeyArtifact.ts';
import { BackupIncompatibleError, BackupRefusedError } from '../../backup/archive/refused.ts';
import { openKeys } from '../../backup/archive/decryption.ts';
import { restore, type RestoreReport } from '../../backup/archive/restore.ts';
import { confirmRestore } from '../../backup/archive/rollback.ts';
import {
  locateBackup,
  offsiteBackups,
  type OffsiteBackup,
} from '../../backup/offsite/locateBackup.ts';
import { dbAccess, offsiteTargets } from '../../backup/worker/settings.ts';
import { recordOpsAudit } from '../opsAudit.ts';
import {
  decryptionKeysFromEnv,
  liveRestoreOptions,
  signingKeyFile,
  signingPublicKey,
  type KeysFromEnv,
} from '../restoreSetup.ts';
import { DrRefusal } from './failover.ts';
import { recordFailover } from './records.ts';
import { switchLine } from './site.ts';
import { checkFreshSite, makeWritable } from './freshSite.ts';

// `make failover FROM=offsite` (issue 15): no standby, so a site is built from the offsite copies.
// The newest copy that verifies (IT's key opens it, the lost appliance's signature holds) is restored
// with `make restore`'s code and kept at once: a new site has nothing to roll back to.

export interface FromOffsiteOptions {
  force: boolean;
  by: string;
  started: number;
  say: (line: string) => void;
}

export interface FromOffsiteResult {
  backup: string;
  target: string;
  takenAt: string;
  /** The recovery point in seconds (not `recoveryPoint…`: the audit log drops "recovery" keys). */
  rpoSeconds: number;
  rtoMs: number;
  skipped: { backup: string; target: string; why: string }[];
}

type KeysFor = KeysFromEnv['keysFor'];
type Skipped = FromOffsiteResult['skipped'];

export async function failoverFromOffsite(
  config: Config,
  o: FromOffsiteOptions,
): Promise<FromOffsiteResult> {
  const say = o.say;
  const keys = await decryptionKeysFromEnv();
  const signingFile = signingKeyFile(config);
  if (!keys || !signingFile)
    throw new DrRefusal(
      'usage',
      'usage: make failover FROM=offsite KEY=<IT private key file, or agent> [KEY_PASSPHRASE_FILE=<file>] [SIGNING_PUBLIC_KEY=<the lost appliance signing public key>, else PARLEY_BACKUP_SIGNING_KEY_FILE]',
    );
  const verificationKeys = await signingPublicKey(signingFile);
  // A wrong key or passphrase is said once, before anything is fetched (not as N skipped backups).
  if (keys.fixed) await openKeys({ ...keys.fixed, verificationKeys });

  const site = await checkFreshSite(config, o);
  const candidates = await listCandidates(config, say);
  await makeWritable(config, site, o);
  const opening = { keysFor: keys.keysFor, verificationKeys, say };
  const skipped: Skipped = [];
  const { chosen, report } = await restoreNewestVerified(config, candidates, {
    ...opening,
    skipped,
  });
  if (site.chats > 0)
    say(
      `The replaced data (${site.chats} chats) is kept in ${report.rollbackDatabase}: make restore-rollback puts it back, make restore-confirm drops it.`,
    );
  else await confirmRestore(dbAccess(config), config.env.PARLEY_FILES_DIR); // nothing to go back to
  const filesKey = await restoreFilesKey(config, chosen, opening);

  const takenAt = new Date(report.manifest.createdAt);
  const rpoSeconds = Math.max(0, Math.round((Date.now() - takenAt.getTime()) / 1000));
  await recordInDrFailovers(config, chosen, {
    force: o.force,
    by: o.by,
    recoveryPoint: `everything written after the backup of ${takenAt.toISOString()} (${duration(rpoSeconds)})`,
  });
  const result: FromOffsiteResult = {
    backup: chosen.name,
    target: chosen.target,
    takenAt: takenAt.toISOString(),
    rpoSeconds,
    rtoMs: Date.now() - o.started,
    skipped,
  };
  await recordOpsAudit(config, 'ops', {
    action: 'dr.failover_from_offsite',
    outcome: 'success',
    details: { ...result, force: o.force, migrated: report.migrated.length, filesKey },
  });
  for (const line of reportLines(result, report, config.env.PARLEY_PUBLIC_URL)) say(line);
  return result;
}

async function listCandidates(
  config: Config,
  say: (line: string) => void,
): Promise<OffsiteBackup[]> {
  const targets = await offsiteTargets(config);
  if (targets.length === 0)
    throw new DrRefusal(
      'no_offsite_target',
      'No offsite target is configured: set PARLEY_BACKUP_TARGET_DIR, PARLEY_BACKUP_SFTP_* or PARLEY_BACKUP_S3_* as the lost site had them (backup/README.md, "Offsite copies").',
    );
  const names = targets.map((t) => t.name).join(', ');
  say(`Listing the backups on ${names}…`);
  const candidates = await offsiteBackups(targets, say);
  if (candidates.length === 0) throw new Error(`no backup was found on ${names}`);
  say(`${candidates.length} backup(s) found; the newest is ${candidates[0]!.name}.`);
  return candidates;
}

/** `make dr-status` shows it as this site's last failover. */
async function recordInDrFailovers(
  config: Config,
  chosen: OffsiteBackup,
  o: { force: boolean; by: string; recoveryPoint: string },
): Promise<void> {
  const db = openDb(config);
  try {
    await recordFailover(db, config.env.PARLEY_DB_NAME, {
      at: new Date(),
      kind: 'offsite',
      fromSite: `${chosen.target} ${chosen.name}`,
      toSite: `${config.env.PARLEY_DB_HOST}:${config.env.PARLEY_DB_PORT}`,
      forced: o.force,
      recoveryPoint: o.recoveryPoint,
      lostTransactions: null,
      promotedAtGtid: (await readReplication(db)).currentGtid,
      by: o.by,
    });
  } finally {
    await db.destroy();
  }
}

function reportLines(r: FromOffsiteResult, report: RestoreReport, publicUrl: string): string[] {
  return [
    '',
    `Restored ${r.backup} from ${r.target} (taken at ${r.takenAt}):`,
    `  ${report.tables} tables, ${report.rows} rows, ${report.files} files; ${report.migrated.length} migration(s) applied.`,
    ...r.skipped.map((s) => `  Skipped, newer but not restorable: ${s.backup} on ${s.target}.`),
    `RECOVERY POINT: ${duration(r.rpoSeconds)}. Everything written after ${r.takenAt} (chats, messages, files, accounts, settings) is lost; this site starts from that backup.`,
    `RTO: this command took ${(r.rtoMs / 1000).toFixed(1)} s.`,
    'NOW: restart Parley here (its app and worker read the files key at start).',
    switchLine(publicUrl),
  ];
}

/** Newest first: the first copy that downloads whole and verifies is restored; the others are named. */
async function restoreNewestVerified(
  config: Config,
  candidates: OffsiteBackup[],
  o: { keysFor: KeysFor; verificationKeys: string; skipped: Skipped; say: (line: string) => void },
): Promise<{ chosen: OffsiteBackup; report: RestoreReport }> {
  const skip = (c: OffsiteBackup, error: unknown) => {
    const why = (error as Error).message.split('\n')[0] ?? 'unknown error';
    o.skipped.push({ backup: c.name, target: c.target, why });
    o.say(`SKIPPED ${c.name} on ${c.target}: ${why}`);
  };
  for (const chosen of candidates) {
    o.say(`Trying ${chosen.name} on ${chosen.target}`);
    let located;
    try {
      located = await locateBackup(chosen.spec, {
        backupDir: config.env.PARLEY_BACKUP_DIR,
        targets: () => offsiteTargets(config),
        say: o.say,
      });
    } catch (error) {
      skip(chosen, error);
      continue;
    }
    try {
      const report = await restore({
        ...liveRestoreOptions(config),
        file: located.file,
        ...(await o.keysFor(located.file)),
        verificationKeys: o.verificationKeys,
        progress: o.say,
      });
      return { chosen, report };
    } catch (error) {
      // A sound backup from a newer Parley is no reason to go back further and lose more.
      if (!(error instanceof BackupRefusedError) || error instanceof BackupIncompatibleError)
        throw error;
      skip(chosen, error);
    } finally {
      await located.cleanup();
    }
  }
  throw new Error(
    `none of the ${candidates.length} offsite backup(s) could be fetched and verified with this KEY and signing key (each is named above with why); nothing was restored`,
  );
}

/**
 * The files master key from the backup's artifact on the same target, into
 * PARLEY_FILES_MASTER_KEY_FILE: without it no restored file can be read. Never fails the failover:
 * what IT must do by hand is said instead.
 */
async function restoreFilesKey(
  config: Config,
  chosen: OffsiteBackup,
  o: { keysFor: KeysFor; verificationKeys: string; say: (line: string) => void },
): Promise<string> {
  const artifact = filesKeyArtifactName(chosen.name);
  const path = config.env.PARLEY_FILES_MASTER_KEY_FILE;
  const byHand = `copy ${artifact} from IT's custody or ${chosen.target}, then gpg --decrypt ${artifact} > ${path || '<PARLEY_FILES_MASTER_KEY_FILE>'}`;
  if (!chosen.listing.has(artifact)) {
    o.say(
      `FILES KEY: ${chosen.target} holds no ${artifact}; the restored files cannot be read until you ${byHand}`,
    );
    return 'no_artifact';
  }
  if (!path) {
    o.say(`FILES KEY: PARLEY_FILES_MASTER_KEY_FILE is not set; set it, then ${byHand}`);
    return 'not_configured';
  }
  const file = join(config.env.PARLEY_BACKUP_DIR, `.${artifact}.${process.pid}.fetching`);
  const targets = await offsiteTargets(config);
  try {
    await targets.find((t) => t.name === chosen.target)!.get(artifact, file);
    const key = await openFilesKeyArtifact(file, {
      ...(await o.keysFor(file)),
      verificationKeys: o.verificationKeys,
    });
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const installed = await installFilesKey(path, key, stamp);
    o.say(
      installed.outcome === 'unchanged'
        ? `FILES KEY: ${path} already holds the backup's files key.`
        : `FILES KEY: restored from ${artifact} into ${path}${installed.outcome === 'replaced' ? ` (the key it held is kept in ${installed.previous})` : ''}.`,
    );
    return installed.outcome;
  } catch (error) {
    o.say(
      `FILES KEY NOT RESTORED (${(error as Error).message.split('\n')[0]}): the restored files cannot be read until you ${byHand}`,
    );
    return 'failed';
  } finally {
    await rm(file, { force: true });
    for (const t of targets) await t.close();
  }
}

/** "3 d 4 h", "2 h 5 min", "42 s": how much time the recovery point loses, for people. */
function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return m ? `${m} min ${seconds % 60} s` : `${seconds} s`;
}
