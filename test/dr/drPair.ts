import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex, { type Knex } from 'knex';
import { startAppProcess, type AppProcess } from '../rateLimits/appProcess.ts';
import { devEnv, repoRoot } from '../harness/config.ts';
import { pairDb, type PairDb } from './pairDb.ts';

// Two sites on one machine (issue 15): site A (primary) and site B (standby), each a private
// MariaDB and an app process; the DR commands run as IT runs them (`node ops/dr.ts …`).

export interface DrSite {
  name: 'A' | 'B';
  db: PairDb;
  app: AppProcess | null;
  env: Record<string, string>;
  sql: Knex;
}

const accounts = {
  app: { user: 'parley', password: 'dr-app-pw', database: 'parley' },
  admin: { user: 'parley_dr', password: 'dr-admin-pw' },
  repl: { user: 'parley_repl', password: 'dr-repl-pw' },
};

export async function drPair(semiSyncTimeoutMs = 1000) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-dr-'));
  const secret = (name: string, value: string) => {
    writeFileSync(join(dir, name), value, { mode: 0o600 });
    return join(dir, name);
  };
  const files = {
    app: secret('app', accounts.app.password),
    admin: secret('admin', accounts.admin.password),
    repl: secret('repl', accounts.repl.password),
  };
  const [a, b] = [
    await pairDb(1, accounts, semiSyncTimeoutMs),
    await pairDb(2, accounts, semiSyncTimeoutMs),
  ];
  const site = (name: 'A' | 'B', db: PairDb, peer: PairDb): DrSite => ({
    name,
    db,
    app: null,
    env: {
      PARLEY_DB_PORT: String(db.port),
      PARLEY_DB_NAME: 'parley',
      PARLEY_DB_USER: 'parley',
      PARLEY_DB_PASSWORD_FILE: files.app,
      PARLEY_DR_PEER_DB_HOST: '127.0.0.1',
      PARLEY_DR_PEER_DB_PORT: String(peer.port),
      PARLEY_DR_ADMIN_PASSWORD_FILE: files.admin,
      PARLEY_DR_REPL_PASSWORD_FILE: files.repl,
      PARLEY_DR_DB_TLS_CA_FILE: join(db.dir, 'ca.crt'),
      // The app, its migrations and the DR commands' audit reach the database over TLS, as in an
      // appliance of a DR pair, where the database requires it.
      PARLEY_DB_TLS_CA_FILE: join(db.dir, 'ca.crt'),
      PARLEY_BACKUP_DIR: mkdtempSync(join(dir, `backups-${name}-`)),
      PARLEY_FILES_DIR: mkdtempSync(join(dir, `files-${name}-`)),
      PARLEY_SITE_ROLE_POLL_MS: '200',
    },
    sql: knex({
      client: 'mysql2',
      connection: {
        host: '127.0.0.1',
        port: db.port,
        user: 'parley',
        password: accounts.app.password,
        database: 'parley',
        ssl: { ca: readFileSync(join(db.dir, 'ca.crt')), rejectUnauthorized: true },
      },
      pool: { min: 0, max: 2 },
    }),
  });
  const A = site('A', a, b);
  const B = site('B', b, a);
  return {
    A,
    B,
    /** `node ops/dr.ts <command>` on a site: its exit code and output. */
    dr(on: DrSite, command: string, extra: Record<string, string> = {}) {
      return new Promise<{ code: number; out: string }>((resolve) => {
        execFile(
          process.execPath,
          ['ops/dr.ts', command],
          { cwd: repoRoot, env: { PATH: process.env.PATH, ...devEnv(), ...on.env, ...extra } },
          (error, stdout, stderr) =>
            resolve({
              code: error ? Number((error as { code?: number }).code ?? 1) : 0,
              out: stdout + stderr,
            }),
        );
      });
    },
    migrate(on: DrSite) {
      return new Promise<void>((resolve, reject) =>
        execFile(
          process.execPath,
          ['ops/migrate.ts'],
          { cwd: repoRoot, env: { PATH: process.env.PATH, ...devEnv(), ...on.env } },
          (error, _o, stderr) => (error ? reject(new Error(stderr)) : resolve()),
        ),
      );
    },
    async startApp(on: DrSite) {
      const env = Object.fromEntries(
        Object.entries(on.env).filter(([k]) => k !== 'PARLEY_HTTPS_PORT'),
      );
      on.app = await startAppProcess(env);
      on.env.PARLEY_HTTPS_PORT = new URL(on.app.url).port; // ops/dr.ts polls this app's /readyz
      return on.app;
    },
    async close() {
      for (const s of [A, B]) {
        await s.app?.stop().catch(() => undefined);
        await s.sql.destroy();
        await s.db.stop();
      }
    },
  };
}
