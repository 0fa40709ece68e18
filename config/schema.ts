import { z } from 'zod';
import { parseCidr } from '../app/shared/cidr.ts';
import { drEnv } from './drSchema.ts';
import { drFilesSchema } from './drFilesSchema.ts';
import { metricsSchema } from './metricsSchema.ts';

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
// Addresses or CIDR ranges, IPv4 or IPv6, comma-separated; each must parse strictly.
const cidrList = z
  .string()
  .default('')
  .transform((raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )
  .superRefine((items, ctx) => {
    for (const item of items) {
      const parsed = parseCidr(item);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
    }
  });
// A visitor limit (issue 12): `N/Ws+B` — N attempts per window of W seconds, and B more (the burst)
// spread over 10 such windows. `30/60s+60`: 30 a minute, and up to 60 extra in 10 minutes.
const rateRule = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .pipe(
      z
        .string()
        .regex(
          /^[1-9]\d{0,5}\/[1-9]\d{0,4}s(\+\d{1,6})?$/,
          'must be N/Ws+B, e.g. 30/60s+60: N attempts (1-999999) per W seconds (1-86400), B more in bursts',
        ),
    )
    .transform((raw) => {
      const [, points = '', seconds = '', burst = '0'] =
        /^(\d+)\/(\d+)s(?:\+(\d+))?$/.exec(raw) ?? [];
      return { points: Number(points), seconds: Number(seconds), burst: Number(burst) };
    })
    .refine((rule) => rule.seconds <= 86_400, 'the window W must be at most 86400 seconds');
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const envSchema = z.object({
  // HTTP
  PARLEY_PUBLIC_URL: url,
  PARLEY_HTTPS_HOST: z.string().min(1).default('0.0.0.0'),
  PARLEY_HTTPS_PORT: port.default(8443),
  PARLEY_HTTP_PORT: port.default(8080),
  PARLEY_HTTP_REDIRECT: z.stringbool({ error: 'must be true or false' }).default(true),
  // Required by the app (it serves HTTPS); the worker and ops commands need no TLS key.
  PARLEY_TLS_CERT_FILE: z.string().min(1).optional(),
  PARLEY_TLS_KEY_FILE: z.string().min(1).optional(),
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
  // Set: every connection to MariaDB uses TLS, its certificate verified against this CA (a DR pair's
  // appliance sets it: its database port is published on the sites' link and requires TLS).
  PARLEY_DB_TLS_CA_FILE: z.string().default(''),
  // ClamAV
  PARLEY_CLAMD_HOST: z.string().min(1).default('127.0.0.1'),
  PARLEY_CLAMD_PORT: port.default(3310),
  PARLEY_CLAMD_TIMEOUT_MS: positiveInt.default(5000),
  // Files
  PARLEY_FILES_DIR: z.string().min(1).default('/var/lib/parley/files'),
  PARLEY_FILES_MASTER_KEY_FILE: z.string().default(''),
  PARLEY_FILE_MAX_BYTES: positiveInt.max(1024 * 1024 * 1024).default(25 * 1024 * 1024),
  PARLEY_FILE_ALLOWED_TYPES: z
    .string()
    .default('png,jpg,gif,webp,pdf,txt')
    .transform((raw) =>
      raw
        .split(',')
        .map((item) => item.trim().toLowerCase())
        .filter((item) => item.length > 0),
    )
    .pipe(z.array(z.string().regex(/^[a-z0-9]{1,10}$/, 'must be file extensions such as png,pdf'))),
  PARLEY_CLAMD_SCAN_TIMEOUT_MS: positiveInt.default(30000),
  // Per chat: at most this many files, and this many bytes in all (issue 5).
  PARLEY_FILE_CHAT_MAX_FILES: positiveInt.default(50),
  PARLEY_FILE_CHAT_MAX_BYTES: positiveInt.default(200 * 1024 * 1024),
  // Sessions and tokens
  PARLEY_SECRET_KEY_FILE: z.string().min(1),
  PARLEY_SESSION_IDLE_MINUTES: positiveInt.default(15),
  PARLEY_SESSION_ABSOLUTE_HOURS: positiveInt.default(12),
  PARLEY_VISITOR_TOKEN_DAYS: positiveInt.default(30),
  // Agent availability (issue 14): offline once the last console socket has been gone this long;
  // how often each process checks idle-away and offline (decisions are made in the database).
  PARLEY_PRESENCE_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  PARLEY_PRESENCE_SWEEP_MS: positiveInt.min(100).max(300_000).default(15_000),
  PARLEY_ARGON2_MEMORY_KIB: positiveInt.min(8192).default(19456),
  PARLEY_ARGON2_ITERATIONS: positiveInt.default(2),
  PARLEY_ARGON2_PARALLELISM: positiveInt.default(1),
  // Sign-in defences
  PARLEY_SIGNIN_CAPTCHA_AFTER: positiveInt.default(5),
  PARLEY_SIGNIN_LOCK_AFTER: positiveInt.default(10),
  PARLEY_SIGNIN_LOCK_MINUTES: positiveInt.default(30),
  PARLEY_SIGNIN_IP_MAX_FAILURES: positiveInt.default(50),
  PARLEY_SIGNIN_IP_WINDOW_MINUTES: positiveInt.max(1440).default(15),
  PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER: positiveInt.min(1000).max(10_000_000).default(100_000),
  // Issue 12: the CAPTCHA's work grows to this cap; address-driven CAPTCHA; device cookies;
  // unknown-account refusals summarised per address and window.
  PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER_CAP: positiveInt
    .min(1000)
    .max(1_000_000_000)
    .default(25_600_000),
  PARLEY_SIGNIN_IP_CAPTCHA_AFTER: positiveInt.default(10),
  PARLEY_SIGNIN_DEVICE_MAX_FAILURES: positiveInt.max(1000).default(5),
  PARLEY_SIGNIN_DEVICE_DAYS: positiveInt.max(400).default(90),
  PARLEY_SIGNIN_SUMMARY_MINUTES: positiveInt.max(1440).default(15),
  PARLEY_TOTP_ISSUER: z.string().trim().min(1).max(64).default('Parley'),
  // Chat
  PARLEY_MESSAGE_MAX_CHARS: positiveInt.max(20000).default(4000),
  PARLEY_SOCKET_PAYLOAD_MAX_BYTES: positiveInt.max(1_000_000).default(16384),
  // Worker
  PARLEY_SESSION_PURGE_CRON: z.string().min(9).default('*/10 * * * *'),
  // Backups
  PARLEY_BACKUP_CRON: z.string().min(9).default('30 2 * * *'),
  PARLEY_BACKUP_DIR: z.string().min(1).default('/var/lib/parley/backups'),
  PARLEY_BACKUP_RECIPIENTS_FILE: z.string().default(''),
  PARLEY_BACKUP_SIGNING_KEY_FILE: z.string().default(''),
  PARLEY_BACKUP_KEEP_LAST: z.coerce.number().int().min(0).default(7),
  PARLEY_BACKUP_KEEP_DAILY: z.coerce.number().int().min(0).default(14),
  PARLEY_BACKUP_KEEP_WEEKLY: z.coerce.number().int().min(0).default(8),
  PARLEY_BACKUP_KEEP_MONTHLY: z.coerce.number().int().min(0).default(12),
  PARLEY_BACKUP_KEEP_YEARLY: z.coerce.number().int().min(0).default(3),
  PARLEY_BACKUP_TARGET_DIR: z.string().default(''),
  PARLEY_BACKUP_SFTP_HOST: z.string().default(''),
  PARLEY_BACKUP_SFTP_PORT: port.default(22),
  PARLEY_BACKUP_SFTP_USER: z.string().default(''),
  PARLEY_BACKUP_SFTP_KEY_FILE: z.string().default(''),
  PARLEY_BACKUP_SFTP_HOST_KEY: z
    .string()
    .regex(/^$|^SHA256:[A-Za-z0-9+/]{43}$/, 'must be a fingerprint like SHA256:… (ssh-keygen -lf)')
    .default(''),
  PARLEY_BACKUP_SFTP_PATH: z.string().default('.'),
  PARLEY_BACKUP_S3_ENDPOINT: z
    .string()
    .trim()
    .regex(
      /^$|^(https?:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/,
      'must be a URL such as https://s3.example.com or https://10.0.0.5:9000 (no path)',
    )
    .default(''),
  PARLEY_BACKUP_S3_REGION: z.string().trim().min(1).default('us-east-1'),
  PARLEY_BACKUP_S3_BUCKET: z.string().trim().default(''),
  PARLEY_BACKUP_S3_PREFIX: z.string().trim().default(''),
  PARLEY_BACKUP_S3_ACCESS_KEY_ID: z.string().trim().default(''),
  PARLEY_BACKUP_S3_SECRET_KEY_FILE: z.string().default(''),
  PARLEY_BACKUP_S3_PATH_STYLE: z.stringbool({ error: 'must be true or false' }).default(true),
  PARLEY_BACKUP_S3_CA_FILE: z.string().default(''),
  PARLEY_BACKUP_OFFSITE_ATTEMPTS: positiveInt.max(20).default(5),
  PARLEY_BACKUP_DRILL_CRON: z.string().min(9).default('0 4 * * 0'),
  PARLEY_BACKUP_DRILL_KEY_FILE: z.string().default(''),
  // Data retention
  PARLEY_RETENTION_CRON: z.string().min(9).default('15 3 * * *'),
  PARLEY_RETENTION_DAYS: z.coerce.number().int().min(0).default(0),
  PARLEY_RETENTION_VISITOR_DAYS: z.coerce.number().int().min(0).default(0),
  PARLEY_RETENTION_BATCH: positiveInt.max(10000).default(500),
  PARLEY_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).default(2555),
  // Redis: where the visitor limits are counted, shared by every app process (issue 12). Empty URL:
  // each process counts in its own memory. The password comes from a file, never the URL.
  PARLEY_REDIS_URL: z
    .string()
    .trim()
    .regex(
      /^$|^redis:\/\/([A-Za-z0-9._-]+@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/\d{1,2})?$/,
      'must be empty or redis://[user@]host[:port][/db], with no password (use PARLEY_REDIS_PASSWORD_FILE)',
    )
    .default(''),
  PARLEY_REDIS_PASSWORD_FILE: z.string().default(''),
  PARLEY_REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only (1 to 64)')
    .default('parley:'),
  PARLEY_REDIS_TIMEOUT_MS: positiveInt.max(10_000).default(1000),
  // Visitor limits, per source address and per visitor token (see rateRule above and example.env).
  PARLEY_RATE_TOKEN_PER_ADDRESS: rateRule('300/60s+300'),
  PARLEY_RATE_TOKEN_PER_VISITOR: rateRule('20/60s+40'),
  PARLEY_RATE_CONNECT_PER_ADDRESS: rateRule('300/60s+300'),
  PARLEY_RATE_CONNECT_PER_VISITOR: rateRule('20/60s+40'),
  PARLEY_RATE_CHAT_START_PER_ADDRESS: rateRule('120/60s+240'),
  PARLEY_RATE_CHAT_START_PER_VISITOR: rateRule('5/60s+10'),
  PARLEY_RATE_MESSAGE_PER_ADDRESS: rateRule('1200/60s+1200'),
  PARLEY_RATE_MESSAGE_PER_VISITOR: rateRule('30/60s+60'),
  PARLEY_RATE_TYPING_PER_ADDRESS: rateRule('3000/60s+3000'),
  PARLEY_RATE_TYPING_PER_VISITOR: rateRule('60/60s+60'),
  PARLEY_RATE_UPLOAD_PER_ADDRESS: rateRule('120/60s+240'),
  PARLEY_RATE_UPLOAD_PER_VISITOR: rateRule('10/60s+20'),
  // TLS handshakes in progress at once per address; more connections wait their turn.
  PARLEY_RATE_HANDSHAKES_PER_ADDRESS: positiveInt.max(10_000).default(8),
  // Network
  PARLEY_TRUSTED_PROXIES: cidrList,
  // Audit
  PARLEY_AUDIT_SYSLOG: z
    .string()
    .trim()
    .regex(
      /^$|^(udp|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/,
      'must be empty, or udp://host:port or tcp://host:port',
    )
    .default(''),
  PARLEY_AUDIT_SYSLOG_APP_NAME: z
    .string()
    .regex(/^[\x21-\x7e]{1,48}$/, 'must be 1 to 48 printable ASCII characters, no spaces')
    .default('parley'),
  // Logging
  PARLEY_LOG_LEVEL: logLevel.default('info'),
  ...drEnv, // issue 15
  ...drFilesSchema,
  ...metricsSchema, // issue 15: the Prometheus endpoint
});

export type Env = z.infer<typeof envSchema>;
