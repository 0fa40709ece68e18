import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The accounts and server options of a DR pair (issue 15). They are written once, for the appliance's
// database image: compose/db/dr.cnf and compose/db/dr-accounts.sql. The native DR tests start their
// private MariaDB instances from the same two files through these functions.

const dbImage = (name: string) =>
  fileURLToPath(new URL(`../../compose/db/${name}`, import.meta.url));

/** mariadbd options both sites run with: dr.cnf's, then the site's own id, TLS files and timeout. */
export function replicationOptions(
  serverId: number,
  tls: { cert: string; key: string; ca: string },
  semiSyncTimeoutMs = 5000,
): string[] {
  const shared = readFileSync(dbImage('dr.cnf'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('['))
    .map((line) => `--${line.replace(/\s*=\s*/, '=')}`);
  return [
    `--server-id=${serverId}`,
    ...shared,
    `--rpl-semi-sync-master-timeout=${semiSyncTimeoutMs}`,
    `--ssl-cert=${tls.cert}`,
    `--ssl-key=${tls.key}`,
    `--ssl-ca=${tls.ca}`,
  ];
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export interface PairAccounts {
  app: { user: string; password: string; database: string };
  admin: { user: string; password: string };
  repl: { user: string; password: string };
}

/** The app's account (the image's entrypoint makes it in the appliance) and dr-accounts.sql's. */
export function accountsSql(a: PairAccounts): string {
  const app = `${quote(a.app.user)}@'%'`;
  const values: Record<string, string> = {
    DB: a.app.database,
    ADMIN_USER: quote(a.admin.user),
    ADMIN_PASSWORD: quote(a.admin.password),
    REPL_USER: quote(a.repl.user),
    REPL_PASSWORD: quote(a.repl.password),
  };
  const dr = readFileSync(dbImage('dr-accounts.sql'), 'utf8').replace(
    /@([A-Z_]+)@/g,
    (_, name: string) => values[name] ?? `@${name}@`,
  );
  return [
    'SET sql_log_bin = 0;',
    `CREATE USER IF NOT EXISTS ${app} IDENTIFIED BY ${quote(a.app.password)};`,
    `GRANT ALL PRIVILEGES ON \`${a.app.database}\`.* TO ${app};`,
    `GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO ${app};`,
    dr,
  ].join('\n');
}
