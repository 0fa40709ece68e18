import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Db } from '../../app/storage/db.ts';
import { repoRoot } from '../harness/config.ts';
import { serverConnection } from '../harness/db.ts';

// Where the time goes during a measurement window: CPU of each process (the machine has few cores,
// so a process near 100 % of one core is the bottleneck) and, for Parley, MariaDB's own counters.

const TICKS_PER_SEC = 100; // USER_HZ on Linux
const DB_COUNTERS = ['Questions', 'Com_commit', 'Innodb_data_fsyncs', 'Innodb_row_lock_waits'];

export interface Sample {
  at: number;
  cpuSec: Record<string, number>;
  db: Record<string, number>;
}

export interface Usage {
  /** Percent of one core over the window, per process. */
  cpuPercent: Record<string, number>;
  /** MariaDB counters per delivered message. */
  dbPerMessage: Record<string, number>;
}

function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC; // utime + stime
  } catch {
    return null;
  }
}

export function mariadbPid(): number | null {
  try {
    return Number(readFileSync(`${repoRoot}.parley/run/mariadb.pid`, 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

const selfCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export type Probe = ReturnType<typeof probe>;

/** Samples the named processes (and MariaDB's counters when `withDb`) at the window's edges. */
export function probe(processes: Record<string, number | null>, withDb: boolean) {
  const db: Db | null = withDb ? serverConnection() : null;
  return {
    async sample(): Promise<Sample> {
      const at = performance.now();
      const cpuSec: Record<string, number> = {};
      for (const [name, pid] of Object.entries(processes)) {
        const seconds = pid === process.pid ? selfCpuSeconds() : pid ? cpuSecondsOf(pid) : null;
        if (seconds !== null) cpuSec[name] = seconds;
      }
      const counters: Record<string, number> = {};
      if (db) {
        const list = DB_COUNTERS.map(() => '?').join(', ');
        const [rows] = (await db.raw(
          `SHOW GLOBAL STATUS WHERE Variable_name IN (${list})`,
          DB_COUNTERS,
        )) as [{ Variable_name: string; Value: string }[]];
        for (const row of rows) counters[row.Variable_name] = Number(row.Value);
      }
      return { at, cpuSec, db: counters };
    },
    close: async () => {
      await db?.destroy();
    },
  };
}

export function usage(from: Sample, to: Sample, messages: number): Usage {
  const seconds = (to.at - from.at) / 1000;
  const cpuPercent: Record<string, number> = {};
  for (const name of Object.keys(to.cpuSec)) {
    const used = to.cpuSec[name]! - (from.cpuSec[name] ?? 0);
    cpuPercent[name] = Math.round((used / seconds) * 100);
  }
  const dbPerMessage: Record<string, number> = {};
  for (const name of Object.keys(to.db)) {
    const delta = to.db[name]! - (from.db[name] ?? 0);
    dbPerMessage[name] = messages > 0 ? Math.round((delta / messages) * 100) / 100 : 0;
  }
  return { cpuPercent, dbPerMessage };
}
