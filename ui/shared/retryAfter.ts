// The server's visitor limits (issue 12) answer `too_many_requests` with how many seconds to wait:
// in an HTTP error's body, a socket ack's error, or a refused connection's data. The widget waits
// that long and tries again instead of losing what the visitor typed or sent.

/** The longest wait the widget takes on by itself; a longer one is shown to the visitor. */
export const MAX_WAIT_SECONDS = 120;
/** How many times in a row a refused action is tried again before the visitor is told. */
export const MAX_TRIES = 4;

/**
 * The refusal with this error id in `failure`, or null: an ack's `error`, an HttpError, or a
 * `connect_error` (its `data`). Its `retryAfter` is as the server sent it.
 */
export function refusalOf(failure: unknown, id: string): { retryAfter?: unknown } | null {
  if (typeof failure !== 'object' || failure === null) return null;
  const candidate = failure as { id?: unknown; retryAfter?: unknown; data?: unknown };
  if (candidate.id === id) return candidate;
  return candidate.data === undefined ? null : refusalOf(candidate.data, id);
}

/** A refusal's `retryAfter` in whole seconds, or `fallback` when it gives none. */
export function secondsOf(retryAfter: unknown, fallback: number): number {
  const seconds = Number(retryAfter);
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : fallback;
}

/** Seconds the server asked to wait, or null when this is not a limit's refusal. */
export function retryAfterOf(failure: unknown): number | null {
  const refusal = refusalOf(failure, 'too_many_requests');
  return refusal ? secondsOf(refusal.retryAfter, 1) : null;
}

/** The wait before trying again, in ms: what was asked (capped), plus up to half a second so that
 * many refused widgets do not all come back in the same instant. */
export function waitMs(seconds: number, random: () => number = Math.random): number {
  return Math.min(seconds, MAX_WAIT_SECONDS) * 1000 + Math.floor(random() * 500);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt`, and while it fails with a limit's refusal waits as asked and runs it again, at
 * most MAX_TRIES times in all; then (or on any other failure) the failure is passed on.
 */
export async function withRetryAfter<T>(
  attempt: () => Promise<T>,
  options: { onWait?: (seconds: number) => void; wait?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (failure) {
      const seconds = retryAfterOf(failure);
      if (seconds === null || seconds > MAX_WAIT_SECONDS || tries >= MAX_TRIES) throw failure;
      options.onWait?.(seconds);
      await (options.wait ?? sleep)(waitMs(seconds));
    }
  }
}

type Ack = { ok: true } | { ok: false; error: { message: string } };

/**
 * Sends a socket request, and while its ack is a limit's refusal waits as asked (telling `onWait`
 * the refusal's message) and sends it again, at most MAX_TRIES times in all. Returns the last ack.
 */
export async function ackWithRetryAfter<R extends Ack>(
  send: () => Promise<R>,
  onWait: (message: string) => void,
): Promise<R> {
  let reply = await send();
  for (let tries = 1; tries < MAX_TRIES; tries += 1) {
    const ack: Ack = reply;
    if (ack.ok) break;
    const seconds = retryAfterOf(ack.error);
    if (seconds === null || seconds > MAX_WAIT_SECONDS) break;
    onWait(ack.error.message);
    await sleep(waitMs(seconds));
    reply = await send();
  }
  return reply;
}
