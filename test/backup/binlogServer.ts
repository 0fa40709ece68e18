import { join } from 'node:path';
import type { DbAccess } from '../../backup/archive/mariadb.ts';
import { privateMariadb } from '../harness/privateMariadb.ts';

// A MariaDB of the test's own that writes a binary log (the shared dev server does not), on its
// own port, with an account that has privileges on `parley%` only, like Parley's.

export interface BinlogServer {
  access: DbAccess;
  /** Runs SQL as root over the server's socket. */
  root(sql: string): string;
  stop(): Promise<void>;
}

export async function binlogServer(): Promise<BinlogServer> {
  const server = await privateMariadb('parley-binlog-db-', (dir) => [
    `--log-bin=${join(dir, 'data', 'binlog')}`,
    '--server-id=1',
  ]);
  const password = 'binlog-test';
  server.root(
    `CREATE USER 'parley'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON \`parley%\`.* TO 'parley'@'127.0.0.1';`,
  );
  return {
    access: {
      host: '127.0.0.1',
      port: server.port,
      user: 'parley',
      password,
      database: 'parley_binlog',
    },
    root: (sql) => server.root(sql),
    stop: () => server.stop(),
  };
}
