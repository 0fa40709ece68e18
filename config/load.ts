import { readFileSync } from 'node:fs';
import { drFilesProblems } from './drFilesSchema.ts';
import { envSchema, type Env } from './schema.ts';

export interface Config {
  env: Env;
  publicOrigin: string;
  dbPassword: string;
  secretKey: Buffer;
  /** The certificate and key; null for processes that serve no HTTPS (worker, ops commands). */
  tls: { cert: Buffer; key: Buffer } | null;
  /** Redis's password (PARLEY_REDIS_PASSWORD_FILE); null when none is set. */
  redisPassword: string | null;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

function readSecretFile(variable: string, path: string, problems: string[]): Buffer {
  try {
    const content = readFileSync(path);
    if (content.length === 0) problems.push(`${variable}: file ${path} is empty`);
    return content;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`${variable}: cannot read ${path} (${code})`);
    return Buffer.alloc(0);
  }
}

export interface LoadOptions {
  /** Which process is starting: only the app needs the TLS certificate and key. */
  process?: 'app' | 'worker' | 'ops';
}

/** Validates the environment, reads every secret file, and reports all problems at once. */
export function loadConfig(
  source: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      const missing = source[variable] === undefined;
      return `${variable}: ${missing ? 'is required but not set' : issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  const problems: string[] = [];
  const dbPassword = readSecretFile(
    'PARLEY_DB_PASSWORD_FILE',
    env.PARLEY_DB_PASSWORD_FILE,
    problems,
  )
    .toString('utf8')
    .trim();
  const secretKey = readSecretFile('PARLEY_SECRET_KEY_FILE', env.PARLEY_SECRET_KEY_FILE, problems);
  if (secretKey.length > 0 && secretKey.length < 32) {
    problems.push('PARLEY_SECRET_KEY_FILE: the key must be at least 32 bytes');
  }
  if (env.PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER_CAP < env.PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER) {
    problems.push(
      'PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER_CAP: must be at least PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER',
    );
  }
  problems.push(...drFilesProblems(env));
  const tls = readTls(env, (options.process ?? 'app') === 'app', problems);
  const redisPassword = env.PARLEY_REDIS_PASSWORD_FILE
    ? readSecretFile('PARLEY_REDIS_PASSWORD_FILE', env.PARLEY_REDIS_PASSWORD_FILE, problems)
        .toString('utf8')
        .trim()
    : null;
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    env,
    publicOrigin: new URL(env.PARLEY_PUBLIC_URL).origin,
    dbPassword,
    secretKey,
    tls,
    redisPassword,
  };
}

function readTls(env: Env, required: boolean, problems: string[]): Config['tls'] {
  const certFile = env.PARLEY_TLS_CERT_FILE;
  const keyFile = env.PARLEY_TLS_KEY_FILE;
  if (!required && !certFile && !keyFile) return null;
  for (const [variable, value] of [
    ['PARLEY_TLS_CERT_FILE', certFile],
    ['PARLEY_TLS_KEY_FILE', keyFile],
  ] as const) {
    if (!value) problems.push(`${variable}: is required but not set (the app serves HTTPS)`);
  }
  if (!certFile || !keyFile) return null;
  return {
    cert: readSecretFile('PARLEY_TLS_CERT_FILE', certFile, problems),
    key: readSecretFile('PARLEY_TLS_KEY_FILE', keyFile, problems),
  };
}

/** For process entry points: print one line per problem and exit. */
export function loadConfigOrExit(options: LoadOptions = {}): Config {
  try {
    return loadConfig(process.env, options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`parley: configuration is invalid\n`);
      for (const problem of error.problems) process.stderr.write(`  ${problem}\n`);
      process.exit(78);
    }
    throw error;
  }
}
