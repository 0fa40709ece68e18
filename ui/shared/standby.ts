import { refusalOf, secondsOf, sleep, waitMs } from './retryAfter.ts';

// A standby site (issue 15) refuses the API (503, error id `standby`) and both socket namespaces (a
// `connect_error` whose data has that id) until `make failover` makes it the primary. The console
// and the widget recognise the refusal here: it means "ask again later", never an error to report
// and never a signed-out state.

/** The wait when a refusal does not say; the server's own. */
export const STANDBY_RETRY_SECONDS = 5;

/** Seconds to wait before asking again when `failure` is a standby site's refusal, else null. */
export function standbyRetryOf(failure: unknown): number | null {
  const refusal = refusalOf(failure, 'standby');
  return refusal ? secondsOf(refusal.retryAfter, STANDBY_RETRY_SECONDS) : null;
}

/**
 * Runs `attempt`, and for as long as a standby site refuses it waits as asked (telling `onWait`)
 * and runs it again. Any other outcome, success or failure, is passed on.
 */
export async function whileStandby<T>(
  attempt: () => Promise<T>,
  onWait: (seconds: number) => void,
): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (failure) {
      const seconds = standbyRetryOf(failure);
      if (seconds === null) throw failure;
      onWait(seconds);
      await sleep(waitMs(seconds));
    }
  }
}
