import pino, { type Logger } from 'pino';
import { maskCardNumbers } from './shared/cardNumbers.ts';

export type { Logger };

// Paths that may carry secrets; pino replaces them before a line is written.
const redact = [
  'password',
  '*.password',
  'token',
  '*.token',
  'cookie',
  '*.cookie',
  'req.headers.cookie',
  'req.headers.authorization',
  'headers.cookie',
  'headers.authorization',
  'res.headers["set-cookie"]',
  // Issue 6: session ids, CSRF tokens and secure-form payloads never reach a log line.
  'sessionId',
  '*.sessionId',
  'csrf',
  '*.csrf',
  'ciphertext',
  '*.ciphertext',
  'body',
  '*.body',
];

export function createLogger(
  level: string,
  name = 'parley',
  destination: pino.DestinationStream = pino.destination(1),
): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: redact, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Whatever a line carries, a card number in it is masked before it is written (issue 6).
      hooks: { streamWrite: (line) => maskCardNumbers(line).text },
    },
    destination,
  );
}

/** What of an unknown error may be logged: its class and code; never its message or stack (SQL, secrets). */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { kind: typeof error };
  const withCode = error as Error & { code?: unknown; errno?: unknown };
  return {
    kind: error.name,
    code: typeof withCode.code === 'string' ? withCode.code : undefined,
    errno: typeof withCode.errno === 'number' ? withCode.errno : undefined,
  };
}
