import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../backup/archive/createBackup.ts';
import { binlogPosition } from '../../backup/archive/mariadb.ts';
import { restore } from '../../backup/archive/restore.ts';
import { binlogServer, type BinlogServer } from './binlogServer.ts';
import { keyPair, type KeyPair } from './fixtures.ts';

let server: BinlogServer;
let it_: KeyPair;
let signer: KeyPair;
const work = mkdtempSync(join(tmpdir(), 'parley-binlog-test-'));

beforeAll(async () => {
  [server, it_, signer] = await Promise.all([binlogServer(), keyPair('IT'), keyPair('appliance')]);
  server.root(
    "CREATE DATABASE parley_binlog; CREATE TABLE parley_binlog.knex_migrations (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255)); INSERT INTO parley_binlog.knex_migrations (name) VALUES ('20261121220000_create_agents.ts'); CREATE TABLE parley_binlog.messages (id INT PRIMARY KEY, body TEXT); INSERT INTO parley_binlog.messages VALUES (1, 'one'), (2, 'two');",
  );
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const backup = () =>
  createBackup({
    access: server.access,
    dir: join(work, 'backups'),
    recipients: it_.publicKey,
    signingKey: signer.privateKey,
    parleyVersion: '0.1.0',
  });

describe('binary log position in the manifest', () => {
  it('records the position of the dump’s own snapshot when the server writes a binary log', async () => {
    const [file, position] = server.root('SHOW MASTER STATUS').split('\t');
    const first = await backup();
    expect(first.manifest.binlog).toEqual({ file, position: Number(position) });
    expect(first.manifest.tables).toEqual({ knex_migrations: 1, messages: 2 });

    server.root("INSERT INTO parley_binlog.messages VALUES (3, 'three')");
    const [, after] = server.root('SHOW MASTER STATUS').split('\t');
    await new Promise((r) => setTimeout(r, 1100)); // backups are named by the second
    const second = await backup();
    expect(second.manifest.binlog).toEqual({ file, position: Number(after) });
    expect(Number(after)).toBeGreaterThan(Number(position));

    // The position lines are comments to a restore: a drill of the dump loads and checks.
    const drill = await restore({
      access: server.access,
      file: second.file,
      decryptionKey: it_.privateKey,
      verificationKeys: signer.publicKey,
      parleyVersion: '0.1.0',
      knownMigrations: ['20261121220000_create_agents'],
      migrate: () => Promise.resolve([]),
      drill: true,
    });
    expect(drill.rows).toBe(4);
  }, 60_000);

  it('reads the position only from the line mariadb-dump writes', () => {
    const dump =
      "-- MariaDB dump\n--\n-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000007', MASTER_LOG_POS=4711;\n";
    expect(binlogPosition(dump)).toEqual({ file: 'binlog.000007', position: 4711 });
    expect(
      binlogPosition("INSERT INTO t VALUES ('-- CHANGE MASTER TO MASTER_LOG_FILE=''x''');"),
    ).toBeNull();
    expect(binlogPosition('-- MariaDB dump\n')).toBeNull();
  });
});
