import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { loadConfig, type Config } from '../../config/load.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
// PARLEY_TEST_DB lets two test runs on one machine use separate databases.
export const TEST_DB = process.env.PARLEY_TEST_DB ?? 'parley_test';
export const TEST_ORIGIN = 'https://localhost:18443';
export const WIDGET_ORIGIN = 'https://127.0.0.1:18444';

/** The environment `make services` wrote for this checkout: the private MariaDB, clamd, TLS and secrets. */
export function devEnv(): Record<string, string> {
  const path = `${repoRoot}.parley/parley.env`;
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch {
    throw new Error(
      `${path} is missing: run \`make services\` first (it starts MariaDB and clamd for tests)`,
    );
  }
}

/** A configuration for tests: the dev services, the test database, ephemeral ports, fast hashing. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...devEnv(),
    PARLEY_DB_NAME: TEST_DB,
    PARLEY_PUBLIC_URL: TEST_ORIGIN,
    PARLEY_WIDGET_ORIGINS: WIDGET_ORIGIN,
    PARLEY_HTTPS_HOST: '127.0.0.1',
    PARLEY_HTTPS_PORT: '0',
    PARLEY_HTTP_PORT: '0',
    PARLEY_ARGON2_MEMORY_KIB: '8192',
    PARLEY_ARGON2_ITERATIONS: '1',
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_UI_DIR: `${repoRoot}ui/dist`,
    // Each test Parley counts visitor limits under its own Redis keys (they expire on their own).
    PARLEY_REDIS_KEY_PREFIX: `parley-test-${randomBytes(6).toString('hex')}:`,
    ...overrides,
  });
}
