// Pacing for broadcasts whose latest state is all that matters (a queue snapshot, a "the board
// changed" hint). With 200 agents in a room, one broadcast is 200 TLS writes; a burst of changes
// must not become a burst of identical snapshots. Per key: the first call runs at once; calls while
// it runs, or within `intervalMs` of its start, fold into one more run at the end of that interval.

export interface Paced<K> {
  /**
   * Asks for a run covering this moment; resolves when the run that covers it has finished (a
   * failed run goes to `onError`, so callers may leave the promise alone).
   */
  (key: K): Promise<void>;
  /** Drops pending runs (at shutdown). */
  stop(): void;
}

interface Slot {
  lastStart: number;
  running: Promise<void> | null;
  pending: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  settle: (() => void) | null;
}

/** Keys are few and long-lived (a department, a room): their slots are kept. */
export function paced<K>(
  intervalMs: number,
  run: (key: K) => Promise<void>,
  onError: (error: unknown, key: K) => void,
): Paced<K> {
  const slots = new Map<K, Slot>();

  const start = (key: K, slot: Slot): Promise<void> => {
    slot.lastStart = Date.now();
    const running = run(key)
      .catch((error: unknown) => {
        onError(error, key);
      })
      .finally(() => {
        slot.running = null;
      });
    slot.running = running;
    return running;
  };

  const call = (key: K): Promise<void> => {
    const slot = slots.get(key) ?? {
      lastStart: 0,
      running: null,
      pending: null,
      timer: null,
      settle: null,
    };
    slots.set(key, slot);
    if (slot.pending) return slot.pending;
    const wait = slot.lastStart + intervalMs - Date.now();
    if (!slot.running && wait <= 0) return start(key, slot);
    // One more run, after the interval and after the current run: it reads the state as it is then.
    slot.pending = new Promise<void>((resolve) => {
      slot.settle = resolve;
      slot.timer = setTimeout(
        () => {
          slot.timer = null;
          void (slot.running ?? Promise.resolve())
            .then(() => {
              slot.pending = null;
              slot.settle = null;
              return start(key, slot);
            })
            .then(resolve);
        },
        Math.max(0, wait),
      );
      slot.timer.unref();
    });
    return slot.pending;
  };

  return Object.assign(call, {
    stop() {
      for (const slot of slots.values()) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.settle?.();
      }
      slots.clear();
    },
  });
}
