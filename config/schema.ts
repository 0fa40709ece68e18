import { z } from 'zod';

// Every Parley process (app, worker, ops commands) reads this one schema once at start.
// Secrets are never values here: a `*_FILE` variable names the file that holds them.

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0)
  .max(65535);
const positiveInt = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .positive('must be greater than 0');
const url = z.url({
  protocol: /^https$/,
  hostname: z.regexes.hostname,
  error: 'must be an https:// URL such as https://chat.example.com',
});
const origin = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^/\s]+$/, 'must be an origin like https://www.example.com (no path)');
const originList = z
  .string()
  .default('')
  .transform((raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )
  .pipe(z.array(origin));
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const envSchema = z.object({
  // HTTP
  PARLEY_PUBLIC_URL: url,
  PARLEY_HTTPS_HOST: z.string().min(1).default('0.0.0.0'),
  PARLEY_HTTPS_PORT: port.default(8443),
  PARLEY_HTTP_PORT: port.default(8080),
  PARLEY_HTTP_REDIRECT: z.stringbool({ error: 'must be true or false' }).default(true),
  PARLEY_TLS_CERT_FILE: z.string().min(1),
  PARLEY_TLS_KEY_FILE: z.string().min(1),
  PARLEY_WIDGET_ORIGINS: originList,
  PARLEY_UI_DIR: z.string().min(1).default('ui/dist'),
  // Database
  PARLEY_DB_HOST: z.string().min(1).default('127.0.0.1'),
  PARLEY_DB_PORT: port.default(3306),
  PARLEY_DB_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, 'letters, digits and _ only')
    .default('parley'),
  PARLEY_DB_USER: z.string().min(1).default('parley'),
  PARLEY_DB_PASSWORD_FILE: z.string().min(1),
  PARLEY_DB_POOL_MAX: positiveInt.max(200).default(10),
  // ClamAV
  PARLEY_CLAMD_HOST: z.string().min(1).default('127.0.0.1'),
  PARLEY_CLAMD_PORT: port.default(3310),
  PARLEY_CLAMD_TIMEOUT_MS: positiveInt.default(5000),
  // Sessions and tokens
  PARLEY_SECRET_KEY_FILE: z.string().min(1),
  PARLEY_SESSION_IDLE_MINUTES: positiveInt.default(15),
  PARLEY_SESSION_ABSOLUTE_HOURS: positiveInt.default(12),
  PARLEY_VISITOR_TOKEN_DAYS: positiveInt.default(30),
  PARLEY_ARGON2_MEMORY_KIB: positiveInt.min(8192).default(19456),
  PARLEY_ARGON2_ITERATIONS: positiveInt.default(2),
  PARLEY_ARGON2_PARALLELISM: positiveInt.default(1),
  // Chat
  PARLEY_MESSAGE_MAX_CHARS: positiveInt.max(20000).default(4000),
  PARLEY_SOCKET_PAYLOAD_MAX_BYTES: positiveInt.max(1_000_000).default(16384),
  // Worker
  PARLEY_SESSION_PURGE_CRON: z.string().min(9).default('*/10 * * * *'),
  // Logging
  PARLEY_LOG_LEVEL: logLevel.default('info'),
});

export type Env = z.infer<typeof envSchema>;
