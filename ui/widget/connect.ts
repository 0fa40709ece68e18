import type { Socket } from 'socket.io-client';
import { MAX_TRIES, MAX_WAIT_SECONDS, retryAfterOf, waitMs } from '../shared/retryAfter.ts';
import { standbyRetryOf } from '../shared/standby.ts';

const CONNECT_TIMEOUT_MS = 15_000;
const UNAVAILABLE = 'Chat is not available right now. Please try again later.';

/** Resolves on connect; rejects when the server refuses the handshake or nothing happens in time. */
export function waitForConnect(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error): void => {
      window.clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onConnect = (): void => finish();
    const onError = (error: Error): void => {
      const wait = retryAfterOf(error) ?? standbyRetryOf(error);
      if (wait !== null && wait <= MAX_WAIT_SECONDS) {
        // A visitor limit or a standby site (issue 15): the session connects again after the wait.
        window.clearTimeout(timer);
        timer = window.setTimeout(
          () => finish(new Error(error.message)),
          waitMs(wait) + CONNECT_TIMEOUT_MS,
        );
        return;
      }
      if (!socket.active) finish(new Error(UNAVAILABLE));
    };
    let timer = window.setTimeout(() => finish(new Error(UNAVAILABLE)), CONNECT_TIMEOUT_MS);
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
    socket.connect();
  });
}

/**
 * After a visitor limit refused the connection (issue 12): connects again once the server said,
 * unless this was the MAX_TRIES-th refusal in a row or the wait is too long. False when giving up.
 * A standby site's refusals are not counted (`refusals` 0): its wait lasts until a failover.
 */
export function reconnectAfterRefusal(socket: Socket, seconds: number, refusals: number): boolean {
  if (refusals >= MAX_TRIES || seconds > MAX_WAIT_SECONDS) return false;
  window.setTimeout(() => socket.connect(), waitMs(seconds));
  return true;
}
