// The accounts and server options of a DR pair (issue 15), in one place for the README, the
// appliance and the tests. Run as root on each site; kept out of the binary log (each site has its
// own accounts, so replication never carries a password change).

/** mariadbd options both sites run with, so either can be primary or standby without a restart. */
export function replicationOptions(
  serverId: number,
  tls: { cert: string; key: string; ca: string },
  semiSyncTimeoutMs = 5000,
): string[] {
  return [
    `--server-id=${serverId}`,
    // Both sites start read-only: a restarted primary takes no writes until make dr-resume says so.
    '--read-only=1',
    '--log-bin=binlog',
    '--binlog-format=ROW',
    '--sync-binlog=1',
    '--log-slave-updates=1',
    '--gtid-strict-mode=1',
    '--rpl-semi-sync-master-enabled=1',
    '--rpl-semi-sync-slave-enabled=1',
    '--rpl-semi-sync-master-wait-point=AFTER_SYNC',
    `--rpl-semi-sync-master-timeout=${semiSyncTimeoutMs}`,
    '--slave-net-timeout=10',
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

export function accountsSql(a: PairAccounts, host = '%'): string {
  const at = (user: string) => `${quote(user)}@${quote(host)}`;
  return [
    'SET sql_log_bin = 0;',
    `CREATE USER IF NOT EXISTS ${at(a.app.user)} IDENTIFIED BY ${quote(a.app.password)};`,
    `GRANT ALL PRIVILEGES ON \`${a.app.database}\`.* TO ${at(a.app.user)};`,
    `GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO ${at(a.app.user)};`,
    // Fence and promote (READ_ONLY ADMIN, also what lets it write while read-only), repoint
    // replication, reload a re-seed; the parley database for the failover record and the re-seed.
    `CREATE USER IF NOT EXISTS ${at(a.admin.user)} IDENTIFIED BY ${quote(a.admin.password)};`,
    `GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG ADMIN, BINLOG MONITOR, SLAVE MONITOR, RELOAD, CONNECTION ADMIN ON *.* TO ${at(a.admin.user)};`,
    `GRANT ALL PRIVILEGES ON \`${a.app.database}\`.* TO ${at(a.admin.user)};`,
    // Replication only, and only over TLS.
    `CREATE USER IF NOT EXISTS ${at(a.repl.user)} IDENTIFIED BY ${quote(a.repl.password)} REQUIRE SSL;`,
    `GRANT REPLICATION SLAVE ON *.* TO ${at(a.repl.user)};`,
    'SET sql_log_bin = 1;',
  ].join('\n');
}
