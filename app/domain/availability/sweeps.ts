import type { Logger } from '../../log.ts';
import { describeError } from '../../log.ts';
import { agentSocketsRepo, presenceRepo } from '../../storage/agentPresence.ts';
import type { Store } from '../../storage/store.ts';

// The periodic checks each app process runs: idle-away and offline after the grace period. Every
// candidate is re-checked under its row lock (availability.ts), so two processes sweeping at once
// change a status once.

interface SweepDeps {
  db: Store;
  options: { graceSeconds: number; sweepMs: number; processId: string; log: Logger };
  staleMs: number;
  idle(agentId: number): Promise<unknown>;
  gone(agentId: number): Promise<unknown>;
}

export function presenceSweeps(deps: SweepDeps) {
  const { db, options } = deps;
  let timer: NodeJS.Timeout | undefined;
  const pending = new Set<NodeJS.Timeout>();
  let running: Promise<void> | null = null;
  let stopped = false;

  const failed = (error: unknown) =>
    options.log.error({ err: describeError(error) }, 'presence sweep failed');

  async function pass(): Promise<void> {
    await agentSocketsRepo(db).refresh(options.processId, deps.staleMs);
    const repo = presenceRepo(db);
    for (const agentId of await repo.idle()) await deps.idle(agentId);
    for (const agentId of await repo.gone(options.graceSeconds, deps.staleMs))
      await deps.gone(agentId);
  }

  function once(): Promise<void> {
    // One pass at a time in a process; a pass asked for meanwhile joins the running one.
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    once,
    stopped: () => stopped,
    start(): void {
      timer = setInterval(() => void once().catch(failed), options.sweepMs);
      timer.unref();
    },
    /** Checks one agent right after the grace period instead of at the next sweep. */
    goneLater(agentId: number): void {
      const wait = setTimeout(
        () => {
          pending.delete(wait);
          if (!stopped) deps.gone(agentId).catch(failed);
        },
        options.graceSeconds * 1000 + 50,
      );
      wait.unref();
      pending.add(wait);
    },
    /** Stops the timers; this process's sockets start their grace period (a restart keeps status). */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      for (const wait of pending) clearTimeout(wait);
      pending.clear();
      await running?.catch(() => undefined);
      await agentSocketsRepo(db).closeProcess(options.processId);
    },
  };
}
