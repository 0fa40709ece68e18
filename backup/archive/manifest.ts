import { z } from 'zod';

/** The last entry of every backup archive: what it holds and how to check it. */
export const manifestSchema = z.strictObject({
  format: z.literal(1),
  parleyVersion: z.string().regex(/^\d+\.\d+\.\d+/),
  migration: z.string().min(1),
  createdAt: z.iso.datetime(),
  database: z.string(),
  tables: z.record(z.string(), z.number().int().nonnegative()),
  parts: z.array(
    z.strictObject({
      name: z.string().min(1),
      size: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
  binlog: z.strictObject({ file: z.string(), position: z.number() }).nullable(),
});
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * The first entry of every backup archive (since Parley 0.1: older ones lack it): what a restore
 * needs to refuse a backup before loading anything. It is also listed among the manifest's parts,
 * so a Parley that does not know it checks it like any other part.
 */
export const headerSchema = manifestSchema.pick({
  format: true,
  parleyVersion: true,
  migration: true,
  createdAt: true,
  database: true,
});
export type BackupHeader = z.infer<typeof headerSchema>;

export const HEADER = 'parley-backup/header.json';

export const MANIFEST = 'parley-backup/manifest.json';
export const DATABASE_PREFIX = 'parley-backup/database/';
export const FILES_PREFIX = 'parley-backup/files/';

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
