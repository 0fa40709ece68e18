import type { ErrorResponse } from '../../app/shared/protocol.ts';

/** A failed HTTP call; `message` is written for the person in front of the screen. */
export class HttpError extends Error {
  readonly id: string;
  readonly status: number;
  /** Seconds to wait before trying again: a visitor limit (issue 12), a standby site (issue 15). */
  readonly retryAfter: number | undefined;
  constructor(id: string, message: string, status: number, retryAfter?: number) {
    super(message);
    this.id = id;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

const failureListeners = new Set<(failure: HttpError) => void>();

/** Hears every failed call before its caller does: the console learns of a standby site (issue 15). */
export function onFailedCall(listener: (failure: HttpError) => void): () => void {
  failureListeners.add(listener);
  return () => failureListeners.delete(listener);
}

/** Tells the listeners of a failed call; returns it, to throw. */
export function reported<E extends HttpError>(failure: E): E {
  for (const listener of failureListeners) listener(failure);
  return failure;
}

export interface JsonRequest {
  method: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  /** `same-origin` for the console's session cookie, `omit` for the cross-origin widget. */
  credentials: RequestCredentials;
}

export async function requestJson<T>(url: string, request: JsonRequest): Promise<T> {
  const hasBody = request.method !== 'GET';
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      credentials: request.credentials,
      headers: hasBody
        ? { Accept: 'application/json', 'Content-Type': 'application/json' }
        : { Accept: 'application/json' },
      body: hasBody ? JSON.stringify(request.body ?? {}) : undefined,
    });
  } catch {
    throw reported(
      new HttpError('network', 'The server could not be reached. Please try again.', 0),
    );
  }
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (payload as Partial<ErrorResponse> | null)?.error;
    throw reported(
      new HttpError(
        error?.id ?? `http_${response.status}`,
        error?.message ?? `The server answered with status ${response.status}.`,
        response.status,
        error?.retryAfter,
      ),
    );
  }
  return payload as T;
}
