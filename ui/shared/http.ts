import type { ErrorResponse } from '../../app/shared/protocol.ts';

/** A failed HTTP call; `message` is written for the person in front of the screen. */
export class HttpError extends Error {
  readonly id: string;
  readonly status: number;
  /** Seconds to wait before trying again, when a visitor limit refused the request (issue 12). */
  readonly retryAfter: number | undefined;
  constructor(id: string, message: string, status: number, retryAfter?: number) {
    super(message);
    this.id = id;
    this.status = status;
    this.retryAfter = retryAfter;
  }
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
    throw new HttpError('network', 'The server could not be reached. Please try again.', 0);
  }
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (payload as Partial<ErrorResponse> | null)?.error;
    throw new HttpError(
      error?.id ?? `http_${response.status}`,
      error?.message ?? `The server answered with status ${response.status}.`,
      response.status,
      error?.retryAfter,
    );
  }
  return payload as T;
}
