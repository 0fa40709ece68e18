import { readdir, statfs } from 'node:fs/promises';
import type { AgentStatus } from '../shared/presence.ts';
import { backupTime } from './backupStatus.ts';
import { knexOf } from './db.ts';
import { readReplication, type ReplicationState } from './replication.ts';
import type { Store } from './store.ts';

// What the Prometheus endpoint and `make status` read (issue 15): counts straight from indexes,
// the last backup run as the audit log recorded it, replication as the database tells it, and the
// free space of the data volumes. Every read is bounded, so a stuck database cannot hold a scrape.

const QUERY_TIMEOUT_MS = 3000;

export interface ChatCountRow {
  department: string;
  queued: number;
  active: number;
}

/** The label of chats that belong to no department. */
export const NO_DEPARTMENT = '(none)';

export function monitoringRepo(store: Store) {
  const db = knexOf(store);
  return {
    async databaseUp(): Promise<boolean> {
      return db
        .raw('SELECT 1')
        .timeout(QUERY_TIMEOUT_MS)
        .then(
          () => true,
          () => false,
        );
    },

    /** Waiting and active chats per department, every department listed (0 when none). */
    async chatCounts(): Promise<ChatCountRow[]> {
      // A covering read of chats_status_department_created_idx: no row of chats is touched.
      const counted = (await db('chats')
        .whereIn('status', ['queued', 'active'])
        .groupBy('status', 'department_id')
        .select('status', 'department_id')
        .count({ n: '*' })
        .timeout(QUERY_TIMEOUT_MS)) as {
        status: string;
        department_id: number | null;
        n: number;
      }[];
      const departments = (await db('departments')
        .select('id', 'name')
        .timeout(QUERY_TIMEOUT_MS)) as { id: number; name: string }[];
      const byId = new Map<number | null, ChatCountRow>(
        departments.map((d) => [d.id, { department: d.name, queued: 0, active: 0 }]),
      );
      for (const row of counted) {
        const key = row.department_id === null ? null : Number(row.department_id);
        let entry = byId.get(key);
        if (!entry) byId.set(key, (entry = { department: NO_DEPARTMENT, queued: 0, active: 0 }));
        entry[row.status === 'queued' ? 'queued' : 'active'] += Number(row.n);
      }
      return [...byId.values()];
    },

    /** Active agents by availability; an agent who never opened the console counts as offline. */
    async agentCounts(): Promise<Record<AgentStatus, number>> {
      const rows = (await db('agents as a')
        .leftJoin('agent_presence as p', 'p.agent_id', 'a.id')
        .where('a.active', 1)
        .groupByRaw("COALESCE(p.status, 'offline')")
        .select(db.raw("COALESCE(p.status, 'offline') AS status"))
        .count({ n: '*' })
        .timeout(QUERY_TIMEOUT_MS)) as { status: AgentStatus; n: number }[];
      const counts: Record<AgentStatus, number> = { online: 0, away: 0, offline: 0 };
      for (const row of rows) counts[row.status] = Number(row.n);
      return counts;
    },

    /** The last scheduled or manual backup's outcome, as the worker and `make backup` audited it. */
    async lastBackupRun(): Promise<{ at: Date; ok: boolean } | null> {
      const row = (await db('audit_events')
        .where('action', 'backup.create')
        .orderBy('at', 'desc')
        .first('at', 'outcome')
        .timeout(QUERY_TIMEOUT_MS)) as { at: Date; outcome: string } | undefined;
      return row ? { at: new Date(row.at), ok: row.outcome === 'success' } : null;
    },

    /** null when the database cannot be asked. */
    async replication(): Promise<ReplicationState | null> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), QUERY_TIMEOUT_MS);
      });
      return Promise.race([readReplication(db).catch(() => null), late]).finally(() =>
        clearTimeout(timer),
      );
    },
  };
}

/** Free and total bytes of the file system holding `path`; null when it cannot be read. */
export async function diskSpace(
  path: string,
): Promise<{ freeBytes: number; sizeBytes: number } | null> {
  try {
    const fs = await statfs(path);
    // bavail: what an unprivileged process (Parley) can still write.
    return { freeBytes: fs.bavail * fs.bsize, sizeBytes: fs.blocks * fs.bsize };
  } catch {
    return null;
  }
}

/** The times (ms) of the newest and the oldest backup in the folder; null when there is none. */
export async function backupTimes(dir: string): Promise<{ newest: number; oldest: number } | null> {
  const times = (await readdir(dir).catch(() => [] as string[]))
    .map((name) => backupTime(name)?.getTime())
    .filter((time): time is number => time !== undefined)
    .sort((a, b) => a - b);
  return times.length > 0 ? { newest: times.at(-1)!, oldest: times[0]! } : null;
}
