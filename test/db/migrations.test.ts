import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsDir, openDb, type Db } from '../../app/storage/db.ts';
import { TEST_DB, testConfig } from '../harness/config.ts';
import { recreateDatabase } from '../harness/db.ts';

const NAME = /^\d{14}_[a-z0-9]+(_[a-z0-9]+)*\.ts$/;

export function badMigrationNames(files: string[]): string[] {
  return files.filter((file) => file.endsWith('.ts') && !NAME.test(file));
}

describe('migration files', () => {
  const files = readdirSync(migrationsDir).filter((file) => file.endsWith('.ts'));

  it('are named YYYYMMDDHHMMSS_snake_case.ts with unique timestamps', () => {
    expect(badMigrationNames(files)).toEqual([]);
    const stamps = files.map((file) => file.slice(0, 14));
    expect(new Set(stamps).size).toBe(stamps.length);
  });

  it('the name check catches a file that breaks the convention', () => {
    expect(
      badMigrationNames([
        '2026_add_things.ts',
        '20261121220000_AddThings.ts',
        '20261121220000_ok_name.ts',
      ]),
    ).toEqual(['2026_add_things.ts', '20261121220000_AddThings.ts']);
  });

  it('each hold one DDL change and a down', async () => {
    for (const file of files) {
      const source = await import(`${migrationsDir}/${file}`);
      expect(typeof source.up, file).toBe('function');
      expect(typeof source.down, file).toBe('function');
    }
  });
});

describe('migrating a fresh database', () => {
  const database = `${TEST_DB}_migrations`;
  let db: Db;
  beforeAll(async () => {
    await recreateDatabase(database);
    db = openDb(testConfig(), database);
  });
  afterAll(() => db.destroy());

  const tables = async () =>
    ((await db.raw('SHOW TABLES'))[0] as Record<string, string>[])
      .map((row) => Object.values(row)[0] ?? '')
      .sort();

  it('goes up, all the way down, and up again', async () => {
    await db.migrate.latest();
    const up = await tables();
    expect(up).toEqual(
      expect.arrayContaining(['agents', 'agent_sessions', 'chats', 'messages', 'visitors']),
    );
    const [, pending] = (await db.migrate.list()) as [unknown[], unknown[]];
    expect(pending).toEqual([]);

    await db.migrate.rollback(undefined, true);
    expect((await tables()).filter((name) => !name.startsWith('knex_'))).toEqual([]);

    await db.migrate.latest();
    expect(await tables()).toEqual(up);
    const [charset] = (await db.raw(
      "SELECT DISTINCT CCSA.character_set_name AS cs FROM information_schema.TABLES T JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA ON CCSA.collation_name = T.table_collation WHERE T.table_schema = ? AND T.table_name NOT LIKE 'knex%'",
      [database],
    )) as [{ cs: string }[]];
    expect(charset.map((row) => row.cs)).toEqual(['utf8mb4']);
  });
});
