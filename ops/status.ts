// `make status` natively (`make native-status`), and its conditions part in the appliance (run in
// the app container by ops/appliance/status.sh): every condition the Prometheus alert rules watch
// (app/domain/monitoring/alerts.ts), evaluated now from a reading taken directly, one line each: OK
// or what to do. Exits 3 when any fires. `--interval=S`: seconds between the two readings a
// growing counter needs (default 5; only taken when that counter is above 0).
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfigOrExit, type Config } from '../config/load.ts';
import { openDb } from '../app/storage/db.ts';
import { clamdClient } from '../app/storage/clamd.ts';
import { takeReadings, type Readings } from '../app/domain/monitoring/readings.ts';
import {
  conditionLines,
  evaluateConditions,
  needsSecondReading,
} from '../app/domain/monitoring/conditions.ts';
import { ALERT_EXIT } from './backupStatus.ts';

export async function readingsOf(config: Config, intervalMs: number) {
  const env = config.env;
  const db = openDb(config);
  try {
    const read = (): Promise<Readings> =>
      takeReadings({
        store: db,
        clamd: clamdClient(
          env.PARLEY_CLAMD_HOST,
          env.PARLEY_CLAMD_PORT,
          env.PARLEY_CLAMD_TIMEOUT_MS,
        ),
        backupDir: env.PARLEY_BACKUP_DIR,
        filesDir: env.PARLEY_FILES_DIR,
      });
    const first = await read();
    if (!needsSecondReading(first)) return { now: first, before: null };
    await sleep(intervalMs);
    return { now: await read(), before: first };
  } finally {
    await db.destroy();
  }
}

if (import.meta.main) {
  const config = loadConfigOrExit({ process: 'ops' });
  const interval = /^--interval=(\d+(?:\.\d+)?)$/.exec(
    process.argv.find((arg) => arg.startsWith('--interval=')) ?? '',
  );
  const { now, before } = await readingsOf(config, interval ? Number(interval[1]) * 1000 : 5000);
  const results = evaluateConditions(now, before);
  console.log('Conditions (the alert rules of compose/prometheus/parley-alerts.yml, now):');
  console.log(conditionLines(results).join('\n'));
  if (results.some((result) => result.firing)) process.exitCode = ALERT_EXIT;
}
