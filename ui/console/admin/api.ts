import type { PasswordViolationView } from '../../../app/shared/accounts.ts';
import type { ErrorBody } from '../../../app/shared/protocol.ts';
import { HttpError, reported } from '../../shared/http.ts';

/** A failed admin API call: `message` is for the person; `violations` lists broken password rules. */
export class ApiError extends HttpError {
  readonly violations: PasswordViolationView[];
  constructor(
    id: string,
    message: string,
    status: number,
    violations: PasswordViolationView[],
    retryAfter?: number,
  ) {
    super(id, message, status, retryAfter);
    this.violations = violations;
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** JSON to and from the console API with the session cookie; 204 answers resolve to null. */
export async function api<T>(method: Method, url: string, body?: unknown): Promise<T> {
  const sendsBody = method !== 'GET' && method !== 'DELETE';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: sendsBody
        ? { Accept: 'application/json', 'Content-Type': 'application/json' }
        : { Accept: 'application/json' },
      body: sendsBody ? JSON.stringify(body ?? {}) : undefined,
    });
  } catch {
    throw reported(
      new ApiError('network', 'The server could not be reached. Please try again.', 0, []),
    );
  }
  const payload: unknown = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    type Failure = { error?: Partial<ErrorBody> & { details?: unknown } } | null;
    const error = (payload as Failure)?.error;
    throw reported(
      new ApiError(
        error?.id ?? `http_${response.status}`,
        error?.message ?? `The server answered with status ${response.status}.`,
        response.status,
        Array.isArray(error?.details) ? (error.details as PasswordViolationView[]) : [],
        error?.retryAfter,
      ),
    );
  }
  return payload as T;
}

export const messageOf = (failure: unknown, fallback: string) =>
  failure instanceof Error ? failure.message : fallback;
