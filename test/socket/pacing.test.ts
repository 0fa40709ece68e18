import { afterEach, describe, expect, it, vi } from 'vitest';
import { paced } from '../../app/domain/pacing.ts';

// Broadcast pacing (issue 14): a burst of queue changes sends the latest snapshot, not one per change.

describe('paced broadcasts', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the first call at once and folds a burst into one run at the end of the interval', async () => {
    vi.useFakeTimers();
    const runs: { key: string; at: number }[] = [];
    const publish = paced(
      100,
      (key: string) => {
        runs.push({ key, at: Date.now() });
        return Promise.resolve();
      },
      () => undefined,
    );
    const began = Date.now();
    await publish('loans');
    expect(runs).toHaveLength(1);
    const burst = [publish('loans'), publish('loans'), publish('loans')];
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(burst);
    expect(runs.map((run) => run.at - began)).toEqual([0, 100]);
    // Another key is not held back by the first.
    await publish('cards');
    expect(runs.at(-1)).toEqual({ key: 'cards', at: began + 100 });
  });

  it('never runs one key twice at once, and a failed run reaches onError without rejecting', async () => {
    vi.useFakeTimers();
    let active = 0;
    let most = 0;
    const failures: unknown[] = [];
    let calls = 0;
    const publish = paced(
      10,
      async () => {
        calls += 1;
        active += 1;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, 50));
        active -= 1;
        if (calls === 1) throw new Error('relay down');
      },
      (error) => failures.push(error),
    );
    const first = publish('all');
    await vi.advanceTimersByTimeAsync(20);
    const second = publish('all'); // the interval passed, but the first run is still going
    await vi.advanceTimersByTimeAsync(200);
    await expect(first).resolves.toBeUndefined();
    await expect(second).resolves.toBeUndefined();
    expect(calls).toBe(2);
    expect(most).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('settles pending callers when stopped', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const publish = paced(
      1000,
      () => {
        calls += 1;
        return Promise.resolve();
      },
      () => undefined,
    );
    await publish(1);
    const pending = publish(1);
    publish.stop();
    await expect(pending).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(1);
  });
});
