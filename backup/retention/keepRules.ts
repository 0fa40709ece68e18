import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { backupTime } from '../../app/storage/backupStatus.ts';
import { filesKeyArtifactName } from '../archive/filesKeyArtifact.ts';

export interface KeepRules {
  last: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 week ("2026-W47") of a UTC date. */
function isoWeek(at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${pad(week)}`;
}

const BUCKETS: Record<Exclude<keyof KeepRules, 'last'>, (at: Date) => string> = {
  daily: (at) => at.toISOString().slice(0, 10),
  weekly: isoWeek,
  monthly: (at) => at.toISOString().slice(0, 7),
  yearly: (at) => at.toISOString().slice(0, 4),
};

/**
 * restic's `forget` semantics, in UTC: each rule keeps, newest first, the newest backup of each of
 * its last N periods that have one; a backup is kept when any rule keeps it; the newest is always
 * kept. Returns the times to keep.
 */
export function selectKept(times: Date[], rules: KeepRules): Set<number> {
  const sorted = [...times].sort((a, b) => b.getTime() - a.getTime());
  const kept = new Set<number>();
  if (sorted[0]) kept.add(sorted[0].getTime());
  sorted.slice(0, rules.last).forEach((t) => kept.add(t.getTime()));
  for (const [rule, bucketOf] of Object.entries(BUCKETS) as [
    keyof typeof BUCKETS,
    (at: Date) => string,
  ][]) {
    let left = rules[rule];
    let lastBucket: string | null = null;
    for (const t of sorted) {
      if (left <= 0) break;
      const bucket = bucketOf(t);
      if (bucket === lastBucket) continue;
      lastBucket = bucket;
      kept.add(t.getTime());
      left--;
    }
  }
  return kept;
}

export interface PruneResult {
  kept: string[];
  deleted: string[];
}

/** Where backups are listed and deleted: the local folder or an offsite target. */
export interface BackupStore {
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
}

export function folderStore(dir: string): BackupStore {
  return { list: () => readdir(dir), remove: (name) => rm(join(dir, name), { force: true }) };
}

/** Applies the keep rules to one store; with dryRun, only says what it would delete. */
export async function prune(
  store: BackupStore,
  rules: KeepRules,
  dryRun = false,
): Promise<PruneResult> {
  const backups = (await store.list())
    .map((name) => ({ name, at: backupTime(name) }))
    .filter((b): b is { name: string; at: Date } => b.at !== null)
    .sort((x, y) => y.at.getTime() - x.at.getTime());
  const keep = selectKept(
    backups.map((b) => b.at),
    rules,
  );
  const result: PruneResult = { kept: [], deleted: [] };
  for (const b of backups) {
    if (keep.has(b.at.getTime())) {
      result.kept.push(b.name);
      continue;
    }
    result.deleted.push(b.name);
    if (!dryRun) {
      await store.remove(b.name);
      await store.remove(`${b.name}.sha256`);
      await store.remove(filesKeyArtifactName(b.name));
    }
  }
  return result;
}

export function pruneDirectory(
  dir: string,
  rules: KeepRules,
  dryRun = false,
): Promise<PruneResult> {
  return prune(folderStore(dir), rules, dryRun);
}
