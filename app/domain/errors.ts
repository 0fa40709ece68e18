// Errors a person can act on. Each has a stable id that clients and tests match on;
// the message is safe to show. Anything else becomes a generic `internal` error.

export class ParleyError extends Error {
  readonly id: string;
  readonly status: number;
  readonly retryable: boolean;
  /** Structured detail a client can act on (e.g. every password rule broken); sent as `error.details`. */
  details?: unknown;
  /** Seconds before trying again: the Retry-After header, and `error.retryAfter` (issue 12). */
  retryAfter?: number;
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
  /** The same for every account, existing or not; past the lockout threshold it says what to do. */
  invalidCredentials: (mayBeLocked = false) =>
    new ParleyError(
      'invalid_credentials',
      401,
      mayBeLocked
        ? 'The email or password is incorrect. If this account exists, it may be locked; try again later or ask an administrator.'
        : 'The email or password is incorrect.',
    ),
  captchaRequired: () =>
    new ParleyError(
      'captcha_required',
      401,
      'After several failed sign-ins, Parley checks that you are human: solve the check and try again.',
    ),
  captchaInvalid: () =>
    new ParleyError(
      'captcha_invalid',
      400,
      'The human check failed or expired; try signing in again to get a new one.',
    ),
  signInRateLimited: (retryAfterSeconds: number) =>
    new ParleyError(
      'rate_limited',
      429,
      `Too many failed sign-ins from your network; try again in ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} minute(s).`,
      true,
    ),
  totpInvalid: () =>
    new ParleyError(
      'totp_invalid',
      401,
      'The code is incorrect or was already used; enter the current code from your authenticator app, or a recovery code.',
    ),
  totpStepExpired: () =>
    new ParleyError(
      'totp_step_expired',
      401,
      'The sign-in waited too long for a code, or too many codes were wrong; sign in again.',
    ),
  totpEnrollmentRequired: () =>
    new ParleyError(
      'totp_enrollment_required',
      403,
      'Your role requires two-factor sign-in: set it up on your Account page before continuing.',
    ),
  totpAlreadyEnabled: () =>
    new ParleyError(
      'totp_already_enabled',
      409,
      'Two-factor sign-in is already on; turn it off first to set up a new authenticator.',
    ),
  totpNotEnabled: () =>
    new ParleyError('totp_not_enabled', 409, 'Two-factor sign-in is not on for this account.'),
  totpSetupMissing: () =>
    new ParleyError(
      'totp_setup_missing',
      409,
      'Start the two-factor setup first; it shows the secret to add to your authenticator app.',
    ),
  reauthenticationFailed: () =>
    new ParleyError(
      'reauthentication_failed',
      403,
      'The password or the code is incorrect; nothing was changed.',
    ),
  totpRequiredByRole: () =>
    new ParleyError(
      'totp_required_by_role',
      403,
      'Your role requires two-factor sign-in, so it cannot be turned off.',
    ),
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
  secureFormNotFound: () =>
    new ParleyError(
      'secure_form_not_found',
      404,
      'This secure form is no longer open; ask the agent to send a new one.',
    ),
  chatOfferedToOther: () =>
    new ParleyError(
      'chat_offered',
      409,
      'This chat is being offered to another agent; it comes back to the queue if they do not take it.',
    ),
  offerNotFound: () =>
    new ParleyError(
      'offer_not_found',
      404,
      'This chat is not offered to you (the offer may have timed out or been withdrawn).',
    ),
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
  ipNotAllowed: (address: string) =>
    new ParleyError(
      'ip_not_allowed',
      403,
      `Parley cannot be used from your address (${address.slice(0, 45)}); ask an administrator to allow it.`,
    ),
  wouldLockOutSelf: (address: string) =>
    new ParleyError(
      'would_lock_out_self',
      409,
      `This change would lock you out: your current address is ${address.slice(0, 45)}. Confirm to save it anyway.`,
    ),
  ipRuleExists: () =>
    new ParleyError('ip_rule_exists', 409, 'This address or range is already on that list.'),
  passwordRejected: (violations: { rule: string; message: string }[]) =>
    Object.assign(
      new ParleyError(
        'password_rejected',
        400,
        `The password does not meet the password policy: ${violations.map((v) => v.message).join(' ')}`,
      ),
      { details: violations },
    ),
  passwordChangeRequired: () =>
    new ParleyError(
      'password_change_required',
      403,
      'Change your password to continue: it was set by an administrator or has expired.',
    ),
  currentPasswordIncorrect: () =>
    new ParleyError('current_password_incorrect', 400, 'Your current password is incorrect.'),
  passwordResetLimit: (limit: number) =>
    new ParleyError(
      'password_reset_limit',
      429,
      `This agent's password was already reset ${limit} time(s) in the last 24 hours; try again later.`,
    ),
  alreadyExists: (what: string) =>
    new ParleyError('already_exists', 409, `${what} already exists.`),
  inUse: (what: string) => new ParleyError('in_use', 409, what),
  lastAdmin: () =>
    new ParleyError(
      'last_admin',
      409,
      'This is the last active administrator; make another agent an administrator first.',
    ),
  tooManyRequests: () =>
    new ParleyError('rate_limited', 429, 'Too many requests; wait a moment and try again.', true),
  /** A visitor limit (issue 12); `what` says which, e.g. "Too many messages were sent". */
  limitReached: (what: string, retryAfter: number) =>
    Object.assign(
      new ParleyError(
        'too_many_requests',
        429,
        `${what}; please wait ${retryAfter} second${retryAfter === 1 ? '' : 's'} and try again.`,
        true,
      ),
      { retryAfter },
    ),
  unavailable: (what: string) =>
    new ParleyError('unavailable', 503, `${what} is unavailable; try again shortly.`, true),
  // Files (issue 5)
  filesNotConfigured: () =>
    new ParleyError(
      'files_not_configured',
      503,
      'File transfers are not set up on this server; ask an administrator.',
    ),
  fileTooLarge: (limit: number) =>
    new ParleyError(
      'file_too_large',
      413,
      `The file is larger than the limit of ${(limit / 1048576).toFixed(limit % 1048576 ? 1 : 0)} MiB.`,
    ),
  fileEmpty: () => new ParleyError('file_empty', 400, 'The file is empty.'),
  fileNameInvalid: (why: string) =>
    new ParleyError('file_name_invalid', 400, `The file name is not accepted: ${why}.`),
  fileTypeNotAllowed: (allowed: readonly string[]) =>
    new ParleyError(
      'file_type_not_allowed',
      415,
      `This type of file is not accepted; allowed: ${allowed.join(', ')}.`,
    ),
  fileTypeMismatch: (detected: string) =>
    new ParleyError(
      'file_type_mismatch',
      415,
      `The file's content (${detected}) does not match its name's extension; rename it or send another file.`,
    ),
  fileBlocked: () =>
    new ParleyError('file_blocked', 422, 'This file was blocked by the virus scanner.'),
  fileScanLimit: (reply: string) =>
    new ParleyError(
      'file_scan_limit',
      422,
      `The virus scanner could not check this file: ${reply.slice(0, 120)}.`,
    ),
  scannerUnavailable: (reason: string) =>
    new ParleyError(
      'scanner_unavailable',
      503,
      `The virus scanner is unavailable (${reason.slice(0, 120)}); the file was not sent. Try again shortly.`,
      true,
    ),
  fileNotFound: () => new ParleyError('file_not_found', 404, 'No such file, or it is not yours.'),
  /** The chat holds as many files (or bytes) as PARLEY_FILE_CHAT_MAX_FILES / _BYTES allow. */
  fileQuotaExceeded: (detail: string) =>
    new ParleyError('file_quota_exceeded', 409, `This chat's file quota is used up: ${detail}.`),
  // Canned messages and transcript deletion (issue 14)
  shortcutTaken: (shortcut: string) =>
    new ParleyError(
      'shortcut_taken',
      409,
      `The shortcut #${shortcut} is already used by another canned message in this scope; choose another.`,
    ),
  transcriptOnHold: () =>
    new ParleyError(
      'legal_hold',
      409,
      'This transcript is under a legal hold (on the chat or its visitor) and cannot be deleted; lift the hold first.',
    ),
  chatNotEnded: () =>
    new ParleyError(
      'chat_not_ended',
      409,
      'Only an ended chat’s transcript can be deleted; end the chat first.',
    ),
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
