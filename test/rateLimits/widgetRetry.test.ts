import { describe, expect, it } from 'vitest';
import { HttpError } from '../../ui/shared/http.ts';
import {
  MAX_TRIES,
  MAX_WAIT_SECONDS,
  retryAfterOf,
  waitMs,
  withRetryAfter,
} from '../../ui/shared/retryAfter.ts';

// The widget's side of the visitor limits (issue 12): it recognises a refusal in each of its shapes
// and waits as long as the server asked before trying again, instead of losing the visitor's input.

describe('recognising a refusal', () => {
  it('reads the wait from an ack error, an HTTP error and a refused connection', () => {
    expect(retryAfterOf({ id: 'too_many_requests', message: 'wait', retryAfter: 7 })).toBe(7);
    expect(retryAfterOf(new HttpError('too_many_requests', 'wait', 429, 3))).toBe(3);
    const refused = Object.assign(new Error('wait'), {
      data: { id: 'too_many_requests', retryAfter: 12 },
    });
    expect(retryAfterOf(refused)).toBe(12);
    expect(retryAfterOf({ id: 'too_many_requests', message: 'wait' })).toBe(1);
  });

  it('is not fooled by other failures', () => {
    expect(retryAfterOf({ id: 'chat_ended', message: 'ended' })).toBeNull();
    expect(retryAfterOf(new HttpError('rate_limited', 'sign-in throttle', 429, 60))).toBeNull();
    expect(retryAfterOf(Object.assign(new Error('x'), { data: { id: 'unauthenticated' } }))).toBe(
      null,
    );
    expect(retryAfterOf(new Error('network'))).toBeNull();
    expect(retryAfterOf(null)).toBeNull();
  });

  it('waits what was asked, capped, with at most half a second of spread', () => {
    expect(waitMs(3, () => 0)).toBe(3000);
    expect(waitMs(3, () => 0.999)).toBe(3499);
    expect(waitMs(MAX_WAIT_SECONDS + 500, () => 0)).toBe(MAX_WAIT_SECONDS * 1000);
  });
});

describe('trying again after the wait', () => {
  it('waits as asked and succeeds once the server lets it through', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetryAfter(
      () => {
        calls += 1;
        if (calls < 3) return Promise.reject(new HttpError('too_many_requests', 'wait', 429, 2));
        return Promise.resolve('token');
      },
      {
        wait: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );
    expect(result).toBe('token');
    expect(calls).toBe(3);
    expect(waits.every((ms) => ms >= 2000 && ms < 2500)).toBe(true);
  });

  it('passes any other failure on at once, and gives up after so many refusals', async () => {
    let calls = 0;
    const other = withRetryAfter(() => {
      calls += 1;
      return Promise.reject(new HttpError('network', 'down', 0));
    });
    await expect(other).rejects.toMatchObject({ id: 'network' });
    expect(calls).toBe(1);

    calls = 0;
    const refused = withRetryAfter(
      () => {
        calls += 1;
        return Promise.reject(new HttpError('too_many_requests', 'wait', 429, 1));
      },
      { wait: () => Promise.resolve() },
    );
    await expect(refused).rejects.toMatchObject({ id: 'too_many_requests' });
    expect(calls).toBe(MAX_TRIES);
  });
});
