import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountsSql, replicationOptions, type PairAccounts } from '../../ops/dr/accounts.ts';
import { repoRoot } from '../harness/config.ts';
import { privateMariadb, type PrivateMariadb } from '../harness/privateMariadb.ts';

// One site's private MariaDB for the DR tests (issue 15): GTID binlog, semi-sync both ways, TLS
// with the dev CA, the DR accounts. Killed with SIGKILL and started again on the same datadir.

export type PairDb = PrivateMariadb;

const TLS_FILES = ['server.crt', 'server.key', 'ca.crt'] as const;

export async function pairDb(
  serverId: number,
  accounts: PairAccounts,
  semiSyncTimeoutMs: number,
): Promise<PairDb> {
  const db = await privateMariadb(
    `parley-dr-db${serverId}-`,
    (dir) =>
      replicationOptions(
        serverId,
        { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') },
        semiSyncTimeoutMs,
      ),
    (dir) => {
      for (const name of TLS_FILES)
        copyFileSync(join(repoRoot, '.parley/tls', name), join(dir, name));
    },
  );
  db.root(accountsSql(accounts));
  return db;
}
