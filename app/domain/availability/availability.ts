import type { Logger } from '../../log.ts';
import type { AgentStatus, PresenceView, StatusCause } from '../../shared/presence.ts';
import { agentSocketsRepo, presenceRepo, type PresenceRow } from '../../storage/agentPresence.ts';
import { presenceBoardRepo } from '../../storage/presenceBoard.ts';
import { ER_LOCK_DEADLOCK, sqlErrno } from '../../storage/sqlErrors.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { AuditLog, Actor } from '../audit/auditLog.ts';
import { describeError } from '../../log.ts';
import { presenceSweeps } from './sweeps.ts';

// Agent availability (issue 14): online, away, offline; every change recorded with its cause in
// agent_status_history and the audit log, in one transaction. Decisions are made in the database
// (a locked agent_presence row, guarded re-checks), so any number of app processes agree.

export interface StatusChange {
  agentId: number;
  status: AgentStatus;
  previous: AgentStatus;
  cause: StatusCause;
}

/** What the transport delivers after a change commits (it knows rooms; this does not). */
export interface AvailabilityEvents {
  statusChanged(change: StatusChange, presence: PresenceView, departmentIds: number[]): void;
}

export type ChangeListener = (agentId: number, status: AgentStatus, cause: StatusCause) => void;

/** Who acts: an agent (themselves, or an admin on another) with where from, or the system. */
export interface StatusActor {
  actor: Actor;
  source?: { ip: string; userAgent: string };
}

export interface AvailabilityOptions {
  graceSeconds: number;
  sweepMs: number;
  /** This process's id in agent_sockets. */
  processId: string;
  log: Logger;
}

const SYSTEM: StatusActor = { actor: { kind: 'system', label: 'availability' } };

export function presenceView(row: PresenceRow | undefined): PresenceView {
  if (!row) return { status: 'offline', cause: 'connect', since: null };
  return { status: row.status, cause: row.cause, since: row.changed_at.toISOString() };
}

/** Two processes deciding on one agent at once may deadlock; the loser tries again. */
async function retryDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 3 || sqlErrno(error) !== ER_LOCK_DEADLOCK) throw error;
    }
  }
}

export function availabilityService(
  db: Store,
  audit: AuditLog | undefined,
  events: AvailabilityEvents,
  options: AvailabilityOptions,
) {
  const listeners = new Set<ChangeListener>();
  const sockets = agentSocketsRepo(db);
  /** A socket row not refreshed for this long is a stopped process's. */
  const staleMs = options.sweepMs * 3 + 5000;

  async function notify(change: StatusChange): Promise<void> {
    const [row, departments] = await Promise.all([
      presenceRepo(db).byAgent(change.agentId),
      presenceBoardRepo(db).departmentsOf(change.agentId),
    ]);
    events.statusChanged(change, presenceView(row), departments);
    for (const listener of listeners) {
      try {
        listener(change.agentId, change.status, change.cause);
      } catch (error) {
        options.log.error({ err: describeError(error) }, 'availability listener failed');
      }
    }
  }

  /**
   * Moves an agent to `status` for `cause` if `still` (checked under the row lock) holds; records
   * history and audit in the same transaction; tells listeners after commit. Null: nothing changed.
   */
  async function change(
    agentId: number,
    status: AgentStatus,
    cause: StatusCause,
    by: StatusActor,
    still: (row: PresenceRow, trx: Store) => Promise<boolean> | boolean = () => true,
  ): Promise<StatusChange | null> {
    const done = await retryDeadlock(() =>
      transaction(db, async (trx) => {
        const repo = presenceRepo(trx);
        const row = await repo.lock(agentId);
        if (!(await still(row, trx))) return null;
        if (row.status === status) {
          // Choosing the status one already has makes it chosen: activity no longer undoes it.
          if (cause === 'chosen' && row.cause !== 'chosen') await repo.setCause(agentId, cause);
          return null;
        }
        await repo.setStatus(agentId, status, cause);
        await repo.recordHistory({ agent_id: agentId, status, previous: row.status, cause });
        await audit?.record(
          {
            actor: by.actor,
            action: 'agent.status',
            outcome: 'success',
            target: { kind: 'agent', id: agentId },
            ip: by.source?.ip,
            userAgent: by.source?.userAgent,
            details: { status: [row.status, status], cause },
          },
          trx,
        );
        return { agentId, status, previous: row.status, cause };
      }),
    );
    if (done) await notify(done);
    return done;
  }

  const sweeps = presenceSweeps({
    db,
    options,
    staleMs,
    idle: (agentId) =>
      change(agentId, 'away', 'idle', SYSTEM, async (row, trx) => {
        const idle = await presenceRepo(trx).idle(agentId);
        return row.status === 'online' && idle.length > 0;
      }),
    gone: (agentId) =>
      change(agentId, 'offline', 'disconnect', SYSTEM, async (_row, trx) => {
        const gone = await presenceRepo(trx).gone(options.graceSeconds, staleMs, agentId);
        return gone.length > 0;
      }),
  });

  return {
    /** Called after commit on every change this process makes (routing returns offers on it). */
    onChange(listener: ChangeListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async view(agentId: number): Promise<PresenceView> {
      return presenceView(await presenceRepo(db).byAgent(agentId));
    },

    /** The agent picks a status in the console. */
    async choose(agentId: number, status: AgentStatus, by: StatusActor): Promise<PresenceView> {
      await change(agentId, status, 'chosen', by);
      return presenceView(await presenceRepo(db).byAgent(agentId));
    },

    /** An admin sets another agent's status (cause "admin"). */
    async setFor(agentId: number, status: AgentStatus, by: StatusActor): Promise<PresenceView> {
      await change(agentId, status, 'admin', by);
      return presenceView(await presenceRepo(db).byAgent(agentId));
    },

    /** Keyboard, mouse or focus in the console: an idle away (never a chosen one) ends. */
    async activity(agentId: number, by: StatusActor): Promise<void> {
      await presenceRepo(db).touch(agentId);
      const row = await presenceRepo(db).byAgent(agentId);
      if (row?.status !== 'away' || row.cause !== 'idle') return;
      await change(
        agentId,
        'online',
        'activity',
        by,
        (locked) => locked.status === 'away' && locked.cause === 'idle',
      );
    },

    /** A console socket opened: an agent who was offline (and did not choose it) comes online. */
    async connected(
      socket: { id: string; sessionHash: Buffer },
      agentId: number,
      by: StatusActor,
    ): Promise<void> {
      await sockets.add({
        socketId: socket.id,
        agentId,
        sessionHash: socket.sessionHash,
        processId: options.processId,
      });
      await change(agentId, 'online', 'connect', by, async (row, trx) => {
        await presenceRepo(trx).markConnected(agentId);
        return row.status === 'offline' && row.cause !== 'chosen';
      });
    },

    /** A console socket closed: the last one starts the grace period (the sweeps end it). */
    async disconnected(socketId: string, agentId: number): Promise<void> {
      if (sweeps.stopped()) return;
      await sockets.remove(socketId);
      if ((await sockets.liveCount(agentId, staleMs)) > 0) return;
      await presenceRepo(db).markDisconnected(agentId);
      sweeps.goneLater(agentId);
    },

    /** Sign-out: offline unless the agent still has a console open in another session. */
    async signedOut(agentId: number, sessionHash: Buffer, by: StatusActor): Promise<void> {
      if ((await sockets.liveCount(agentId, staleMs, sessionHash)) > 0) return;
      await change(agentId, 'offline', 'signout', by);
    },

    /** Every session of the agent ended (deactivated, password reset): offline (cause signout). */
    async sessionsEnded(agentId: number): Promise<void> {
      await change(agentId, 'offline', 'signout', SYSTEM);
    },

    /** One pass of the idle and offline checks (the periodic sweep runs it; tests may too). */
    sweep: () => sweeps.once(),
    start: () => sweeps.start(),
    stop: () => sweeps.stop(),
  };
}

export type Availability = ReturnType<typeof availabilityService>;
