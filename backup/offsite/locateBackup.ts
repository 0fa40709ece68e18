import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { backupTime } from '../../app/storage/backupStatus.ts';
import { digestOf } from '../archive/streams.ts';
import type { Target } from './target.ts';

export interface LocatedBackup {
  file: string;
  /** Where it came from, for the report: "local" or the target's name. */
  from: string;
  /** Removes a downloaded copy; a local file is left alone. */
  cleanup(): Promise<void>;
}

export class BackupNotFoundError extends Error {}

const KINDS = ['sftp', 'dir', 's3'] as const;

/**
 * What `make restore BACKUP=…` names: a path to a backup file, a backup's name in the local backup
 * folder, or the name of a copy on an offsite target (`sftp:NAME`, `s3:NAME` or `dir:NAME` to ask
 * one kind only). An offsite copy is downloaded next to the local backups (under a name the
 * backup job's clean-up leaves alone) and checked against its `.sha256` companion when the target
 * has one; the restore then checks signature, manifest and checksums as for any backup.
 */
export async function locateBackup(
  spec: string,
  options: {
    backupDir: string;
    targets: () => Promise<Target[]>;
    say?: (line: string) => void;
  },
): Promise<LocatedBackup> {
  const local = (file: string): LocatedBackup => ({
    file,
    from: 'local',
    cleanup: () => Promise.resolve(),
  });
  if (spec.includes('/') && existsSync(spec)) return local(spec);
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : null;
  const name = kind ? spec.slice(colon + 1) : spec;
  if (kind && !(KINDS as readonly string[]).includes(kind)) {
    throw new BackupNotFoundError(
      `BACKUP=${spec}: say sftp:, s3: or dir: before a backup name, or give a file path`,
    );
  }
  if (backupTime(basename(name)) === null || basename(name) !== name) {
    if (existsSync(spec)) return local(spec);
    throw new BackupNotFoundError(
      `BACKUP=${spec} is neither a file nor a backup name such as parley-20261121T030000Z.tar.gz.gpg`,
    );
  }
  if (!kind && existsSync(join(options.backupDir, name))) {
    return local(join(options.backupDir, name));
  }
  const targets = (await options.targets()).filter((t) => !kind || t.name.startsWith(`${kind}:`));
  const looked: string[] = kind ? [] : [`local ${options.backupDir}`];
  for (const target of targets) {
    looked.push(target.name);
    let names: string[];
    try {
      names = await target.list();
    } catch (error) {
      options.say?.(`   ${target.name} could not be listed (${firstLine(error)})`);
      await target.close();
      continue;
    }
    if (!names.includes(name)) {
      await target.close();
      continue;
    }
    const file = join(options.backupDir, `.${name}.${process.pid}.fetching`);
    const cleanup = () => rm(file, { force: true });
    try {
      await mkdir(options.backupDir, { recursive: true, mode: 0o700 }); // a new site has none yet
      options.say?.(`   downloading ${name} from ${target.name}`);
      await target.get(name, file);
      const got = await digestOf(createReadStream(file));
      if (names.includes(`${name}.sha256`)) {
        const sumFile = `${file}.sha256`;
        try {
          await target.get(`${name}.sha256`, sumFile);
          const expected = (await readFile(sumFile, 'utf8')).split(/\s/)[0];
          if (expected !== got.sha256) {
            throw new BackupNotFoundError(
              `the copy of ${name} on ${target.name} does not match its .sha256 (${got.sha256}); it is damaged`,
            );
          }
        } finally {
          await rm(sumFile, { force: true });
        }
      }
      options.say?.(`   downloaded ${got.size} bytes, sha256 ${got.sha256}`);
      return { file, from: target.name, cleanup };
    } catch (error) {
      await cleanup();
      throw error;
    } finally {
      await target.close();
    }
  }
  throw new BackupNotFoundError(
    `no backup named ${name} in ${looked.length ? looked.join(', ') : `any ${kind ?? ''} target (none is configured)`}`,
  );
}

export interface OffsiteBackup {
  name: string;
  at: Date;
  /** The target's name, e.g. `dir:/mnt/offsite`. */
  target: string;
  /** What `BACKUP=` calls this copy (`dir:NAME`): locateBackup fetches it from that target. */
  spec: string;
  /** Every file on that target (a backup's companions: `.sha256`, `.files-key.gpg`). */
  listing: ReadonlySet<string>;
}

/**
 * Every backup on every target, newest first; a backup copied to two targets is two entries (in
 * the targets' order), so a damaged copy on one leaves the other to try. A target that cannot be
 * listed is reported and passed over.
 */
export async function offsiteBackups(
  targets: Target[],
  say?: (line: string) => void,
): Promise<OffsiteBackup[]> {
  const found: OffsiteBackup[] = [];
  for (const target of targets) {
    try {
      const listing = new Set(await target.list());
      const kind = target.name.slice(0, target.name.indexOf(':'));
      for (const name of listing) {
        const at = backupTime(name);
        if (at) found.push({ name, at, target: target.name, spec: `${kind}:${name}`, listing });
      }
    } catch (error) {
      say?.(`   ${target.name} could not be listed (${firstLine(error)})`);
    } finally {
      await target.close();
    }
  }
  return found.sort((a, b) => b.at.getTime() - a.at.getTime()); // stable: ties keep target order
}

function firstLine(error: unknown): string {
  return (error as Error).message.split('\n')[0] ?? 'unknown error';
}
