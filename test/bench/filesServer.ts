// The server under test for the file bench: a real Parley against a fresh `parley_bench_files`
// database, with its own files volume and master key in a temp directory, log level warn.
// Started by files.ts in its own process (so that its RSS is Parley's alone).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../app/log.ts';
import { startParley } from '../../app/server.ts';
import { openDb } from '../../app/storage/db.ts';
import { testConfig } from '../harness/config.ts';
import { recreateDatabase } from '../harness/db.ts';
import { announceReady } from './child.ts';
import { liftedLimits } from './limits.ts';

const BENCH_DB = 'parley_bench_files';
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-files-'));
writeFileSync(join(dir, 'master.key'), randomBytes(32), { mode: 0o600 });

const config = testConfig({
  ...liftedLimits,
  PARLEY_DB_NAME: BENCH_DB,
  PARLEY_HTTPS_PORT: '0',
  PARLEY_HTTP_REDIRECT: 'false',
  PARLEY_LOG_LEVEL: 'warn',
  PARLEY_FILES_DIR: join(dir, 'files'),
  PARLEY_FILES_MASTER_KEY_FILE: join(dir, 'master.key'),
  PARLEY_FILE_MAX_BYTES: String(25 * 1024 * 1024),
  PARLEY_CLAMD_SCAN_TIMEOUT_MS: '60000',
  // Every upload of the run goes to one chat: no per-chat quota in the way.
  PARLEY_FILE_CHAT_MAX_FILES: '100000',
  PARLEY_FILE_CHAT_MAX_BYTES: String(1024 ** 4),
});

await recreateDatabase(BENCH_DB);
const db = openDb(config);
await db.migrate.latest();
const parley = await startParley(config, createLogger(config.env.PARLEY_LOG_LEVEL), db);
announceReady({ port: parley.httpsPort, origin: config.publicOrigin, agents: [] }, async () => {
  await parley.close();
  rmSync(dir, { recursive: true, force: true });
});
