// Errors a person can act on. Each has a stable id that clients and tests match on;
// the message is safe to show. Anything else becomes a generic `internal` error.

export class ParleyError extends Error {
  readonly id: string;
  readonly status: number;
  readonly retryable: boolean;
  constructor(id: string, status: number, message: string, retryable = false) {
    super(message);
    this.name = 'ParleyError';
    this.id = id;
    this.status = status;
    this.retryable = retryable;
  }
}

export const errors = {
  invalidInput: (detail: string) => new ParleyError('invalid_input', 400, detail),
  payloadTooLarge: (limit: number) =>
    new ParleyError(
      'payload_too_large',
      413,
      `The request is larger than the limit of ${limit} bytes.`,
    ),
  bodyTooLarge: () => new ParleyError('payload_too_large', 413, 'The request body is too large.'),
  unauthenticated: () =>
    new ParleyError(
      'unauthenticated',
      401,
      'Sign in to continue; your session has ended or was never started.',
    ),
  invalidCredentials: () =>
    new ParleyError('invalid_credentials', 401, 'The email or password is incorrect.'),
  forbidden: (what = 'do this') =>
    new ParleyError('forbidden', 403, `You are not allowed to ${what}.`),
  missingPermission: (requirement: string | readonly string[]) =>
    new ParleyError(
      'forbidden',
      403,
      `You are not allowed to do this: it needs the ${[requirement].flat().join(' or ')} permission.`,
    ),
  originNotAllowed: () =>
    new ParleyError(
      'origin_not_allowed',
      403,
      'This website is not allowed to use this Parley server.',
    ),
  notFound: (what: string) => new ParleyError('not_found', 404, `No such ${what}.`),
  chatNotFound: () => new ParleyError('chat_not_found', 404, 'No such chat, or it is not yours.'),
  chatNotQueued: () =>
    new ParleyError(
      'chat_not_queued',
      409,
      'This chat is no longer waiting; another agent may have accepted it.',
    ),
  chatEnded: () =>
    new ParleyError('chat_ended', 409, 'This chat has ended; start a new chat to continue.'),
  chatNotActive: () =>
    new ParleyError(
      'chat_not_active',
      409,
      'No agent has joined this chat yet; your message can be sent once one does.',
    ),
  chatAlreadyOpen: () =>
    new ParleyError(
      'chat_already_open',
      409,
      'You already have an open chat; continue it or end it first.',
    ),
  tooManyRequests: () =>
    new ParleyError('rate_limited', 429, 'Too many requests; wait a moment and try again.', true),
  unavailable: (what: string) =>
    new ParleyError('unavailable', 503, `${what} is unavailable; try again shortly.`, true),
  internal: () =>
    new ParleyError(
      'internal',
      500,
      'Something went wrong on the server; it has been logged.',
      true,
    ),
};

export function isParleyError(error: unknown): error is ParleyError {
  return error instanceof ParleyError;
}
