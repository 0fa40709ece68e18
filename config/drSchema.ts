import { z } from 'zod';

// Disaster recovery (issue 15): a primary and a standby site. The app only needs the poll interval
// (its role is its database's read_only); `make dr-status`, `make failover`, `make rejoin` and
// `make failback` (ops/dr.ts) read the rest. Passwords come from files.

const port = z.coerce.number({ error: 'must be a port number' }).int().min(1).max(65535);
const count = (min: number, max: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min).max(max);

export const drEnv = {
  PARLEY_SITE_ROLE_POLL_MS: count(100, 60_000).default(1000),
  /** The other site's MariaDB, as this site reaches it (over TLS, verified against the CA below). */
  PARLEY_DR_PEER_DB_HOST: z.string().trim().default(''),
  PARLEY_DR_PEER_DB_PORT: port.default(3306),
  /** This site's MariaDB as the peer reaches it (failback repoints the peer here); default: PARLEY_DB_*. */
  PARLEY_DR_SELF_DB_HOST: z.string().trim().default(''),
  PARLEY_DR_SELF_DB_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** The account that fences, promotes and repoints; exists on both sites (see README). */
  PARLEY_DR_ADMIN_USER: z.string().trim().min(1).default('parley_dr'),
  PARLEY_DR_ADMIN_PASSWORD_FILE: z.string().default(''),
  /** The replication account: REPLICATION SLAVE only, TLS required. */
  PARLEY_DR_REPL_USER: z.string().trim().min(1).default('parley_repl'),
  PARLEY_DR_REPL_PASSWORD_FILE: z.string().default(''),
  /** The CA that signed both sites' database certificates. */
  PARLEY_DR_DB_TLS_CA_FILE: z.string().default(''),
  /** The app's /readyz as the DR commands reach it; default https://127.0.0.1:PARLEY_HTTPS_PORT. */
  PARLEY_DR_APP_READY_URL: z.url({ error: 'must be an https URL' }).or(z.literal('')).default(''),
  /** A second failover within this many minutes of the last is refused unless FORCE=1. */
  PARLEY_DR_ANTIFLAP_MINUTES: count(0, 10_080).default(30),
  /** How long failover waits for the standby to apply what it received before it gives up. */
  PARLEY_DR_APPLY_TIMEOUT_SECONDS: count(1, 3600).default(30),
  /** Semi-synchronous wait before a commit falls back to asynchronous (then visible and alerted). */
  PARLEY_DR_SEMISYNC_TIMEOUT_MS: count(100, 600_000).default(5000),
};
