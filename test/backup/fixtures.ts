import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import type { Db } from '../../app/storage/db.ts';
import { auditLog } from '../../app/domain/audit/auditLog.ts';
import type { DbAccess } from '../../backup/archive/mariadb.ts';
import { testConfig } from '../harness/config.ts';

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export function keyPair(name: string, passphrase?: string): Promise<KeyPair> {
  return openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name }],
    ...(passphrase ? { passphrase } : {}),
    format: 'armored',
  });
}

export function testAccess(database?: string): DbAccess {
  const config = testConfig();
  return {
    host: config.env.PARLEY_DB_HOST,
    port: config.env.PARLEY_DB_PORT,
    user: config.env.PARLEY_DB_USER,
    password: config.dbPassword,
    database: database ?? config.env.PARLEY_DB_NAME,
  };
}

/** A HOME with ~/.my.cnf (mode 600) for the mariadb client, as IT would have. */
export function clientHome(access: DbAccess): string {
  const home = mkdtempSync(join(tmpdir(), 'parley-home-'));
  writeFileSync(
    join(home, '.my.cnf'),
    `[client]\nhost=${access.host}\nport=${access.port}\nuser=${access.user}\npassword="${access.password}"\nprotocol=TCP\n`,
    { mode: 0o600 },
  );
  return home;
}

/** A temporary GnuPG home holding the given keys. */
export function gnupgHome(...armored: string[]): string {
  const home = mkdtempSync(join(tmpdir(), 'parley-gnupg-'));
  for (const [i, key] of armored.entries()) {
    const file = join(home, `import-${i}.asc`);
    writeFileSync(file, key);
    execFileSync('gpg', ['--batch', '--quiet', '--import', file], {
      env: { ...process.env, GNUPGHOME: home },
      stdio: 'ignore',
    });
  }
  return home;
}

/** Chats, messages, visitors and audit entries with awkward content. */
export async function seed(db: Db): Promise<void> {
  const visitorId = '11111111-2222-3333-4444-555555555555';
  await db('visitors').insert({
    id: visitorId,
    name: 'O\'Brien "Quote" (paren',
    email: 'v@example.test',
  });
  for (let c = 0; c < 3; c++) {
    const [chatId] = await db('chats').insert({
      visitor_id: visitorId,
      status: 'ended',
      question: `question ${c}; with ) and ( and \\ backslash\nnewline`,
    });
    for (let m = 1; m <= 40; m++) {
      await db('messages').insert({
        chat_id: chatId,
        seq: m,
        client_id: `c${c}-${m}`,
        author_kind: m % 2 ? 'visitor' : 'system',
        body: `message ${m} ✓ 'quoted' (x),(y); ${'z'.repeat(m * 10)}`,
      });
    }
  }
  const audit = auditLog(db);
  for (let i = 0; i < 5; i++) {
    await audit.record({
      actor: { kind: 'system', label: 'test' },
      action: 'test.seed',
      outcome: 'success',
      details: { i },
    });
  }
}

/** Every row of every base table, in primary key order, as comparable text. */
export async function snapshot(db: Db): Promise<Record<string, string>> {
  const database = (db.client as { config: { connection: { database: string } } }).config.connection
    .database;
  const [tables] = (await db.raw(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [database],
  )) as [{ t: string }[]];
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    const [rows] = (await db.raw(`SELECT * FROM \`${t}\` ORDER BY 1`)) as [unknown[]];
    out[t] = JSON.stringify(rows, (_k, v: unknown) =>
      v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
        ? Buffer.from((v as { data: number[] }).data).toString('hex')
        : v,
    );
  }
  return out;
}
