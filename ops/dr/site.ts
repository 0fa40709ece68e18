import { readFileSync } from 'node:fs';
import knex, { type Knex } from 'knex';
import type { Config } from '../../config/load.ts';
import { readReplication, type ReplicationState } from '../../app/storage/replication.ts';

// The two databases a DR command talks to (issue 15): this site's, and the peer's over TLS
// verified against the sites' CA. Both as the DR admin account (parley_dr): it may fence,
// promote and repoint replication, and read and reload the parley database; nothing else.

export interface Site {
  name: 'here' | 'peer';
  address: string;
  at: { host: string; port: number };
  db: Knex;
  state(): Promise<ReplicationState>;
  close(): Promise<void>;
}

export interface DrSettings {
  here: { host: string; port: number };
  /** This site's database as the peer reaches it. */
  self: { host: string; port: number };
  peer: { host: string; port: number } | null;
  adminUser: string;
  adminPassword: string;
  replUser: string;
  replPassword: string;
  caFile: string;
  database: string;
  antiFlapMinutes: number;
  applyTimeoutSeconds: number;
  semiSyncTimeoutMs: number;
  publicUrl: string;
  appReadyUrl: string;
}

const secret = (file: string, setting: string): string => {
  if (!file) throw new Error(`${setting} is not set: the DR commands need it (see README)`);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`${setting}: cannot read ${file}`);
  }
};

export function drSettings(config: Config): DrSettings {
  const env = config.env;
  return {
    here: { host: env.PARLEY_DB_HOST, port: env.PARLEY_DB_PORT },
    self: {
      host: env.PARLEY_DR_SELF_DB_HOST || env.PARLEY_DB_HOST,
      port: env.PARLEY_DR_SELF_DB_PORT || env.PARLEY_DB_PORT,
    },
    peer: env.PARLEY_DR_PEER_DB_HOST
      ? { host: env.PARLEY_DR_PEER_DB_HOST, port: env.PARLEY_DR_PEER_DB_PORT }
      : null,
    adminUser: env.PARLEY_DR_ADMIN_USER,
    adminPassword: secret(env.PARLEY_DR_ADMIN_PASSWORD_FILE, 'PARLEY_DR_ADMIN_PASSWORD_FILE'),
    replUser: env.PARLEY_DR_REPL_USER,
    replPassword: secret(env.PARLEY_DR_REPL_PASSWORD_FILE, 'PARLEY_DR_REPL_PASSWORD_FILE'),
    caFile: env.PARLEY_DR_DB_TLS_CA_FILE,
    database: env.PARLEY_DB_NAME,
    antiFlapMinutes: env.PARLEY_DR_ANTIFLAP_MINUTES,
    applyTimeoutSeconds: env.PARLEY_DR_APPLY_TIMEOUT_SECONDS,
    semiSyncTimeoutMs: env.PARLEY_DR_SEMISYNC_TIMEOUT_MS,
    publicUrl: env.PARLEY_PUBLIC_URL,
    appReadyUrl: env.PARLEY_DR_APP_READY_URL || `https://127.0.0.1:${env.PARLEY_HTTPS_PORT}/readyz`,
  };
}

/** What IT must switch once this site serves, and how to check it. */
export function switchLine(publicUrl: string): string {
  const name = new URL(publicUrl).hostname;
  return `NOW: point ${name} (its DNS record or virtual IP) at this site. Check: curl https://${name}/readyz must answer "role":"primary".`;
}

export function openSite(
  name: Site['name'],
  at: { host: string; port: number },
  settings: DrSettings,
): Site {
  const db = adminConnection(at, settings);
  return {
    name,
    address: `${at.host}:${at.port}`,
    db,
    at,
    state: () => readReplication(db),
    close: () => db.destroy(),
  };
}

/**
 * The DR account's connection to a site's database server; with `database`, to Parley's database
 * there (what an audit entry written at the peer needs). The peer is reached over TLS with its
 * certificate verified; this site's own database too when a CA is given (in the appliance both sit
 * on a private network).
 */
export function adminConnection(
  at: { host: string; port: number },
  settings: DrSettings,
  database?: string,
): Knex {
  const ca = settings.caFile ? readFileSync(settings.caFile) : null;
  return knex({
    client: 'mysql2',
    connection: {
      host: at.host,
      port: at.port,
      user: settings.adminUser,
      password: settings.adminPassword,
      ...(database ? { database } : {}),
      connectTimeout: 3000,
      ...(ca ? { ssl: { ca, rejectUnauthorized: true } } : {}),
    },
    pool: { min: 0, max: 2 },
    // An unreachable peer is reported by reach() in words; knex would print a stack trace too.
    log: {
      warn: () => undefined,
      error: () => undefined,
      deprecate: () => undefined,
      debug: () => undefined,
    },
  });
}

/** The peer's state, or why it could not be read (down, unreachable, refused). */
export async function reach(
  site: Site,
): Promise<{ ok: true; state: ReplicationState } | { ok: false; why: string }> {
  try {
    return { ok: true, state: await site.state() };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { ok: false, why: e.code ?? e.message ?? 'unreachable' };
  }
}
