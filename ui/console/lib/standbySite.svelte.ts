import { HttpError } from '../../shared/http.ts';
import { sleep, waitMs } from '../../shared/retryAfter.ts';
import { STANDBY_RETRY_SECONDS, standbyRetryOf } from '../../shared/standby.ts';
import { currentAgent } from './session.ts';

/**
 * Whether this console's site is a standby (issue 15), learnt from any refusal, HTTP or socket.
 * While it is, the console says so and asks again as the refusal says; once the site serves,
 * `onServing` listeners carry on (reconnect, reload) without the agent doing anything. A standby
 * refusal never signs anyone out: the session is the primary's, and still valid.
 */
class StandbySite {
  standby = $state(false);
  /** Seconds between two checks, as the last refusal asked. */
  retryAfter = $state(STANDBY_RETRY_SECONDS);
  /** How many times the site came back: pages keyed on it load their data again. */
  returns = $state(0);
  readonly #listeners = new Set<() => void>();

  /** True when `failure` is a standby site's refusal (and starts the checks); false otherwise. */
  noted(failure: unknown): boolean {
    const seconds = standbyRetryOf(failure);
    if (seconds === null) return false;
    this.retryAfter = seconds;
    if (!this.standby) {
      this.standby = true;
      void this.#waitUntilServing();
    }
    return true;
  }

  /** Called each time the site serves again after being a standby; returns the unsubscribe. */
  onServing(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #waitUntilServing(): Promise<void> {
    for (let wait: number | null = this.retryAfter; wait !== null; wait = await this.#check())
      await sleep(waitMs(wait));
    this.standby = false;
    this.returns += 1;
    for (const listener of this.#listeners) listener();
  }

  /** Null once the API answers anything but a standby refusal; otherwise seconds to the next check. */
  async #check(): Promise<number | null> {
    try {
      await currentAgent(); // signed in or not: either answer means the site serves
      return null;
    } catch (failure) {
      const seconds = standbyRetryOf(failure);
      if (seconds !== null) this.retryAfter = seconds;
      // An unreachable server (restarting, a network cut) may be the standby still: ask again.
      const unreachable = failure instanceof HttpError && failure.id === 'network';
      return seconds ?? (unreachable ? this.retryAfter : null);
    }
  }
}

export const standbySite = new StandbySite();
