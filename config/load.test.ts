import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.ts';
import { envSchema } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-config-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const valid = {
  PARLEY_PUBLIC_URL: 'https://chat.example.com',
  PARLEY_TLS_CERT_FILE: file('cert', 'CERT'),
  PARLEY_TLS_KEY_FILE: file('key', 'KEY'),
  PARLEY_DB_PASSWORD_FILE: file('db', 'hunter2-but-longer\n'),
  PARLEY_SECRET_KEY_FILE: file('secret', 'x'.repeat(48)),
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('reads secrets from files, never from values', () => {
    const config = loadConfig({
      ...valid,
      PARLEY_WIDGET_ORIGINS: 'https://a.example, https://b.example:8443',
    });
    expect(config.dbPassword).toBe('hunter2-but-longer');
    expect(config.publicOrigin).toBe('https://chat.example.com');
    expect(config.env.PARLEY_WIDGET_ORIGINS).toEqual([
      'https://a.example',
      'https://b.example:8443',
    ]);
    expect(config.env.PARLEY_SESSION_IDLE_MINUTES).toBe(15);
  });

  it('reports every problem at once, one line each, naming the variable', () => {
    const found = problems({
      PARLEY_PUBLIC_URL: 'http://chat.example.com',
      PARLEY_HTTPS_PORT: 'eighty',
      PARLEY_WIDGET_ORIGINS: 'https://ok.example,https://bad.example/path',
      PARLEY_TLS_CERT_FILE: valid.PARLEY_TLS_CERT_FILE,
      PARLEY_TLS_KEY_FILE: valid.PARLEY_TLS_KEY_FILE,
      PARLEY_DB_PASSWORD_FILE: valid.PARLEY_DB_PASSWORD_FILE,
    });
    expect(found).toEqual([
      'PARLEY_PUBLIC_URL: must be an https:// URL such as https://chat.example.com',
      'PARLEY_HTTPS_PORT: must be a port number',
      'PARLEY_WIDGET_ORIGINS: must be an origin like https://www.example.com (no path)',
      'PARLEY_SECRET_KEY_FILE: is required but not set',
    ]);
  });

  it('names a secret file that cannot be read or is too short', () => {
    expect(
      problems({
        ...valid,
        PARLEY_DB_PASSWORD_FILE: join(dir, 'absent'),
        PARLEY_SECRET_KEY_FILE: file('short', 'abc'),
      }),
    ).toEqual([
      `PARLEY_DB_PASSWORD_FILE: cannot read ${join(dir, 'absent')} (ENOENT)`,
      'PARLEY_SECRET_KEY_FILE: the key must be at least 32 bytes',
    ]);
  });

  it('requires the TLS files for the app only', () => {
    const { PARLEY_TLS_CERT_FILE: _cert, PARLEY_TLS_KEY_FILE: _key, ...withoutTls } = valid;
    expect(problems(withoutTls)).toEqual([
      'PARLEY_TLS_CERT_FILE: is required but not set (the app serves HTTPS)',
      'PARLEY_TLS_KEY_FILE: is required but not set (the app serves HTTPS)',
    ]);
    expect(loadConfig(withoutTls, { process: 'worker' }).tls).toBeNull();
    expect(loadConfig(valid, { process: 'worker' }).tls?.cert.toString()).toBe('CERT');
  });

  it('reads the visitor limits as N/Ws+B, and Redis with its password from a file (issue 12)', () => {
    const config = loadConfig({
      ...valid,
      PARLEY_RATE_MESSAGE_PER_VISITOR: '10/30s+5',
      PARLEY_RATE_TYPING_PER_ADDRESS: '7/1s',
      PARLEY_REDIS_URL: 'redis://cache.internal:6380/2',
      PARLEY_REDIS_PASSWORD_FILE: file('redis', 'redis-secret\n'),
    });
    expect(config.env.PARLEY_RATE_MESSAGE_PER_VISITOR).toEqual({
      points: 10,
      seconds: 30,
      burst: 5,
    });
    expect(config.env.PARLEY_RATE_TYPING_PER_ADDRESS).toEqual({ points: 7, seconds: 1, burst: 0 });
    expect(config.env.PARLEY_RATE_TOKEN_PER_ADDRESS).toEqual({
      points: 300,
      seconds: 60,
      burst: 300,
    });
    expect(config.redisPassword).toBe('redis-secret');
    expect(loadConfig(valid).redisPassword).toBeNull();
    expect(problems({ ...valid, PARLEY_REDIS_PASSWORD_FILE: join(dir, 'missing') })).toEqual([
      `PARLEY_REDIS_PASSWORD_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
    ]);
    expect(
      problems({
        ...valid,
        PARLEY_RATE_UPLOAD_PER_VISITOR: '10 per minute',
        PARLEY_RATE_CONNECT_PER_ADDRESS: '5/90000s',
        PARLEY_REDIS_URL: 'redis://:hunter2@cache.internal',
      }),
    ).toEqual([
      'PARLEY_REDIS_URL: must be empty or redis://[user@]host[:port][/db], with no password (use PARLEY_REDIS_PASSWORD_FILE)',
      'PARLEY_RATE_CONNECT_PER_ADDRESS: the window W must be at most 86400 seconds',
      'PARLEY_RATE_UPLOAD_PER_VISITOR: must be N/Ws+B, e.g. 30/60s+60: N attempts (1-999999) per W seconds (1-86400), B more in bursts',
    ]);
  });

  it('documents every setting of the schema in config/example.env, and nothing else', () => {
    const documented = Object.keys(
      parseEnv(readFileSync(new URL('./example.env', import.meta.url), 'utf8')),
    );
    expect(documented.sort()).toEqual(Object.keys(envSchema.shape).sort());
  });
});
