// One Parley backup or drill-restore in its own process, so its peak RSS is its own.
import { createBackup, type BackupOptions } from '../../backup/archive/createBackup.ts';
import { restore, type RestoreOptions } from '../../backup/archive/restore.ts';

const input = JSON.parse(process.env.PARLEY_BENCH ?? '{}') as Record<string, never> &
  BackupOptions &
  RestoreOptions;
const started = performance.now();
if (process.argv[2] === 'backup') {
  const r = await createBackup({ ...input, parleyVersion: '0.1.0' });
  console.log(
    JSON.stringify({
      file: r.file,
      bytes: r.size,
      ms: performance.now() - started,
      maxRssKb: process.resourceUsage().maxRSS,
    }),
  );
} else {
  await restore({
    ...input,
    parleyVersion: '0.1.0',
    migrate: () => Promise.resolve([]),
    drill: true,
  });
  console.log(
    JSON.stringify({ ms: performance.now() - started, maxRssKb: process.resourceUsage().maxRSS }),
  );
}
