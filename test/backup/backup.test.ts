import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
  mkdirSync,
  truncateSync,
  openSync,
  writeSync,
  closeSync,
  copyFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsDir, openDb, type Db } from '../../app/storage/db.ts';
import { BackupBusyError } from '../../backup/archive/backupLock.ts';
import { createBackup, type BackupResult } from '../../backup/archive/createBackup.ts';
import { BACKUP_PATTERN, lastDrill } from '../../app/storage/backupStatus.ts';
import { runDrill } from '../../backup/archive/drill.ts';
import { connect } from '../../backup/archive/mariadb.ts';
import { BackupRefusedError } from '../../backup/archive/refused.ts';
import { sessionKeyFromAgent } from '../../backup/archive/agentSessionKey.ts';
import { restore, type RestoreOptions } from '../../backup/archive/restore.ts';
import { confirmRestore, rollbackRestore } from '../../backup/archive/rollback.ts';
import { testConfig } from '../harness/config.ts';
import { recreateDatabase, testDb, truncateAll } from '../harness/db.ts';
import {
  clientHome,
  gnupgHome,
  keyPair,
  seed,
  snapshot,
  testAccess,
  type KeyPair,
} from './fixtures.ts';

const access = testAccess();
const known = readdirSync(migrationsDir)
  .filter((n) => n.endsWith('.ts'))
  .map((n) => n.replace(/\.ts$/, ''));
let db: Db;
let it_: KeyPair; // IT's recipient pair
let signer: KeyPair;
let stranger: KeyPair;
let work: string;
let filesDir: string;
let clock = Date.parse('2026-11-01T00:00:00Z');
const tick = () => new Date((clock += 1000));

function backupNow(extra: Partial<Parameters<typeof createBackup>[0]> = {}): Promise<BackupResult> {
  return createBackup({
    access,
    dir: join(work, 'backups'),
    filesDir,
    recipients: it_.publicKey,
    signingKey: signer.privateKey,
    parleyVersion: '0.1.0',
    now: tick,
    ...extra,
  });
}

function restoreOptions(file: string, extra: Partial<RestoreOptions> = {}): RestoreOptions {
  return {
    access,
    file,
    decryptionKey: it_.privateKey,
    verificationKeys: signer.publicKey,
    filesDir,
    parleyVersion: '0.1.0',
    knownMigrations: known,
    migrate: async () => {
      const [, names] = (await db.migrate.latest()) as [number, string[]];
      return names;
    },
    now: tick,
    ...extra,
  };
}

async function databases(): Promise<string[]> {
  const conn = await connect(access, null);
  try {
    const [rows] = await conn.query('SHOW DATABASES');
    return (rows as { Database: string }[])
      .map((r) => r.Database)
      .filter((d) => d.startsWith(`${access.database}_`));
  } finally {
    await conn.end();
  }
}

function filesOf(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile())
      out[join(e.parentPath, e.name).slice(dir.length)] = readFileSync(
        join(e.parentPath, e.name),
        'hex',
      );
  }
  return out;
}

beforeAll(async () => {
  [it_, signer, stranger] = await Promise.all([
    keyPair('IT'),
    keyPair('appliance'),
    keyPair('stranger'),
  ]);
  work = mkdtempSync(join(tmpdir(), 'parley-backup-test-'));
  filesDir = join(work, 'files');
  mkdirSync(join(filesDir, 'ab'), { recursive: true });
  writeFileSync(join(filesDir, 'ab', 'one.bin'), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(filesDir, 'two.txt'), 'second file\n');
  const conn = await connect(access, null);
  for (const leftover of await databases()) await conn.query(`DROP DATABASE \`${leftover}\``);
  await conn.end();
  db = testDb();
  await truncateAll(db);
  await seed(db);
});

afterAll(async () => {
  await db.destroy();
});

describe('backup and restore', () => {
  it('restores a backup with identical content, keeps a rollback point, and confirms', async () => {
    const before = await snapshot(db);
    const files = filesOf(filesDir);
    const backup = await backupNow();
    expect(backup.name).toMatch(BACKUP_PATTERN);
    expect(backup.manifest.tables.messages).toBe(120);
    expect(backup.manifest.tables.chats).toBe(3);
    expect(backup.manifest.binlog).toBeNull(); // the dev server writes no binary log
    expect(readFileSync(`${backup.file}.sha256`, 'utf8')).toBe(
      `${backup.sha256}  ${backup.name}\n`,
    );

    await db('messages').where('seq', '>', 10).delete();
    await db('chats').insert({
      visitor_id: '11111111-2222-3333-4444-555555555555',
      status: 'queued',
    });
    writeFileSync(join(filesDir, 'two.txt'), 'changed');
    writeFileSync(join(filesDir, 'three.txt'), 'new');

    const lines: string[] = [];
    const report = await restore(restoreOptions(backup.file, { progress: (l) => lines.push(l) }));
    expect(report.rows).toBe(Object.values(backup.manifest.tables).reduce((a, b) => a + b, 0));
    expect(report.files).toBe(2);
    expect(lines.some((l) => l.startsWith('4/5'))).toBe(true);
    expect(await snapshot(db)).toEqual(before);
    expect(filesOf(filesDir)).toEqual(files);
    expect(await databases()).toEqual([report.rollbackDatabase]);

    await expect(restore(restoreOptions(backup.file))).rejects.toThrow(/awaits confirmation/);
    expect(await confirmRestore(access, filesDir)).toEqual([report.rollbackDatabase]);
    expect(await databases()).toEqual([]);
  });

  it('rolls a restore back to the data it replaced', async () => {
    const backup = await backupNow();
    await db('messages').where('seq', '>', 20).delete();
    const changed = await snapshot(db);
    await restore(restoreOptions(backup.file));
    expect((await db('messages').count({ n: '*' }))[0]!.n).toBe(120);
    expect(await rollbackRestore(access, filesDir)).toMatch(/_rollback_\d{14}$/);
    expect(await snapshot(db)).toEqual(changed);
    expect(await databases()).toEqual([]);
  });

  it('restores by hand with gpg, tar and mariadb exactly as the README says', async () => {
    const backup = await backupNow();
    const readme = readFileSync(new URL('../../backup/README.md', import.meta.url), 'utf8');
    const block = /<!-- restore-by-hand -->\n```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const handDb = `${access.database}_hand`;
    const handFiles = join(work, 'hand-files');
    await recreateDatabase(handDb);
    const conn = await connect(access, null);
    await conn.query(`DROP DATABASE \`${handDb}\``);
    await conn.end();
    const script = block
      .replace(/^BACKUP=.*$/m, `BACKUP='${backup.file}'`)
      .replace(/^DB=.*$/m, `DB='${handDb}'`)
      .replace(/^FILES=.*$/m, `FILES='${handFiles}'`);
    const cwd = mkdtempSync(join(tmpdir(), 'parley-hand-'));
    const gnupg = gnupgHome(it_.privateKey, signer.publicKey);
    try {
      execFileSync('bash', ['-c', script], {
        cwd,
        env: { ...process.env, HOME: clientHome(access), GNUPGHOME: gnupg },
        stdio: 'pipe',
      });
    } finally {
      execFileSync('gpgconf', ['--kill', 'gpg-agent'], {
        env: { ...process.env, GNUPGHOME: gnupg },
      });
    }
    const hand = openDb(testConfig({ PARLEY_DB_NAME: handDb }));
    try {
      expect(await snapshot(hand)).toEqual(await snapshot(db));
    } finally {
      await hand.destroy();
      const c = await connect(access, null);
      await c.query(`DROP DATABASE \`${handDb}\``);
      await c.end();
    }
    expect(filesOf(handFiles)).toEqual(filesOf(filesDir));
  });

  it('refuses damaged, truncated, wrongly signed, wrongly keyed and newer backups, changing nothing', async () => {
    const good = await backupNow();
    const before = await snapshot(db);
    const files = filesOf(filesDir);
    const variant = (name: string) => {
      const path = join(work, name);
      copyFileSync(good.file, path);
      return path;
    };
    const flipped = variant('flipped.gpg');
    const fd = openSync(flipped, 'r+');
    const at = Math.floor(good.size / 2);
    const byte = Buffer.alloc(1);
    byte[0] = readFileSync(flipped)[at]! ^ 0x01;
    writeSync(fd, byte, 0, 1, at);
    closeSync(fd);
    const truncated = variant('truncated.gpg');
    truncateSync(truncated, good.size - 100);
    const wronglySigned = (
      await backupNow({ signingKey: stranger.privateKey, dir: join(work, 'other') })
    ).file;
    const newer = (await backupNow({ parleyVersion: '9.0.0', dir: join(work, 'other') })).file;
    const cases: [string, Partial<RestoreOptions>, RegExp][] = [
      [flipped, {}, /damaged|decrypted/],
      [truncated, {}, /damaged|decrypted/],
      [wronglySigned, {}, /not signed by the expected key/],
      [good.file, { decryptionKey: stranger.privateKey }, /cannot be decrypted/],
      [newer, {}, /made by Parley 9\.0\.0, newer than this Parley 0\.1\.0\. Upgrade/],
      [
        good.file,
        { knownMigrations: known.filter((n) => !good.manifest.migration.startsWith(n)) },
        /schema .* is unknown/,
      ],
    ];
    for (const [file, extra, message] of cases) {
      const attempt = restore(restoreOptions(file, extra));
      await expect(attempt).rejects.toBeInstanceOf(BackupRefusedError);
      await expect(attempt).rejects.toThrow(message);
      await expect(attempt).rejects.toThrow(/nothing was changed/);
    }
    expect(await snapshot(db)).toEqual(before);
    expect(filesOf(filesDir)).toEqual(files);
    expect(await databases()).toEqual([]);
  });

  it('restores with a passphrase-protected key, and refuses a wrong passphrase changing nothing', async () => {
    const protectedIt = await keyPair('IT (protected)', 'correct horse battery staple');
    const good = await backupNow({
      recipients: protectedIt.publicKey,
      dir: join(work, 'protected'),
    });
    const before = await snapshot(db);
    const wrong = restore(
      restoreOptions(good.file, { decryptionKey: protectedIt.privateKey, passphrase: 'wrong' }),
    );
    await expect(wrong).rejects.toThrow(
      /cannot be read or unlocked .*passphrase.*nothing was changed/,
    );
    expect(await databases()).toEqual([]);
    const report = await restore(
      restoreOptions(good.file, {
        decryptionKey: protectedIt.privateKey,
        passphrase: 'correct horse battery staple',
        drill: true,
      }),
    );
    expect(report.rows).toBeGreaterThan(100);
    expect(await snapshot(db)).toEqual(before);
    expect(await databases()).toEqual([]);
  });

  it('restores with KEY=agent: the private key stays with gpg-agent, only the session key comes out', async () => {
    const good = await backupNow({ dir: join(work, 'agent') });
    const before = await snapshot(db);
    const withKey = gnupgHome(it_.privateKey);
    const withoutKey = gnupgHome(stranger.privateKey);
    try {
      await expect(sessionKeyFromAgent(good.file, { gnupgHome: withoutKey })).rejects.toThrow(
        /GnuPG could not decrypt its session key .*nothing was changed/,
      );
      const sessionKey = await sessionKeyFromAgent(good.file, { gnupgHome: withKey });
      expect(sessionKey.algorithm).toBe('aes256');
      expect(sessionKey.data).toHaveLength(32);
      const report = await restore(
        restoreOptions(good.file, { decryptionKey: undefined, sessionKey, drill: true }),
      );
      expect(report.rows).toBeGreaterThan(100);
      // A session key belongs to one backup: another backup's is of no use here.
      const other = await backupNow({ dir: join(work, 'agent-other') });
      const otherKey = await sessionKeyFromAgent(other.file, { gnupgHome: withKey });
      await expect(
        restore(
          restoreOptions(good.file, {
            decryptionKey: undefined,
            sessionKey: otherKey,
            stallMs: 500,
          }),
        ),
      ).rejects.toThrow(/cannot be decrypted|damaged/);
      expect(await snapshot(db)).toEqual(before);
      expect(await databases()).toEqual([]);
    } finally {
      for (const home of [withKey, withoutKey]) {
        execFileSync('gpgconf', ['--kill', 'gpg-agent'], {
          env: { ...process.env, GNUPGHOME: home },
        });
      }
    }
  });

  it('refuses a backup under wrong session keys, each quickly, never hanging', async () => {
    // Garbage plaintext can leave openpgp.js waiting on itself; the signature pass gives up.
    const good = await backupNow({ dir: join(work, 'wrong-keys') });
    for (let i = 0; i < 40; i++) {
      const sessionKey = { algorithm: 'aes256' as const, data: randomBytes(32) };
      const started = Date.now();
      await expect(
        restore(restoreOptions(good.file, { decryptionKey: undefined, sessionKey, stallMs: 400 })),
      ).rejects.toThrow(/cannot be decrypted|damaged/);
      expect(Date.now() - started).toBeLessThan(5000);
    }
    expect(await databases()).toEqual([]);
  }, 90_000);

  it('refuses a newer backup from its header, before loading anything', async () => {
    const newer = (await backupNow({ parleyVersion: '9.0.0', dir: join(work, 'other') })).file;
    const lines: string[] = [];
    await expect(
      restore(restoreOptions(newer, { progress: (l) => lines.push(l) })),
    ).rejects.toThrow(/made by Parley 9\.0\.0/);
    expect(lines.some((l) => l.startsWith('1/5'))).toBe(true);
    expect(lines.some((l) => l.startsWith('2/5'))).toBe(false);
  });

  it('refuses a backup edited on disk between the signature check and the load, changing nothing', async () => {
    const good = await backupNow();
    const before = await snapshot(db);
    const path = join(work, 'edited.gpg');
    copyFileSync(good.file, path);
    const attempt = restore(
      restoreOptions(path, {
        progress: (line) => {
          if (!line.startsWith('2/5')) return;
          // Same file, same inode: what the first pass verified is no longer what is there.
          const fd = openSync(path, 'r+');
          writeSync(fd, Buffer.from('edited'), 0, 6, Math.floor(good.size / 3));
          closeSync(fd);
        },
      }),
    );
    await expect(attempt).rejects.toThrow(/changed on disk while being restored/);
    await expect(attempt).rejects.toThrow(/nothing was changed/);
    expect(await snapshot(db)).toEqual(before);
    expect(await databases()).toEqual([]);
  });

  it('restores a backup made before archives began with a header entry', async () => {
    const before = await snapshot(db);
    const old = await backupNow({ withoutHeader: true, dir: join(work, 'old') });
    expect(old.manifest.parts.some((p) => p.name.endsWith('header.json'))).toBe(false);
    const lines: string[] = [];
    const report = await restore(restoreOptions(old.file, { progress: (l) => lines.push(l) }));
    expect(report.manifest.createdAt).toBe(old.manifest.createdAt);
    expect(await snapshot(db)).toEqual(before);
    expect(lines.some((l) => l.startsWith('5/5'))).toBe(true);
    await confirmRestore(access, filesDir);
    expect(await databases()).toEqual([]);
  });

  it('leaves no complete-looking file when killed mid-backup, and the next run succeeds', async () => {
    const dir = join(work, 'killed');
    const child = fork(new URL('./backupChild.ts', import.meta.url), [], {
      execPath: process.execPath,
      env: {
        ...process.env,
        PARLEY_BACKUP_CHILD: JSON.stringify({
          access,
          dir,
          filesDir,
          recipients: it_.publicKey,
          signingKey: signer.privateKey,
          parleyVersion: '0.1.0',
        }),
      },
      stdio: 'ignore',
    });
    await once(child, 'message');
    expect(readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(readdirSync(dir).filter((n) => BACKUP_PATTERN.test(n))).toEqual([]);
    const next = await backupNow({ dir });
    expect(readdirSync(dir).sort()).toEqual([next.name, `${next.name}.sha256`]);
  });

  it('drills the newest backup into a scratch database, records the result, and changes nothing', async () => {
    const dir = join(work, 'drill');
    const made = await backupNow({ dir });
    const before = await snapshot(db);
    const drill = {
      access,
      dir,
      decryptionKey: it_.privateKey,
      verificationKeys: signer.publicKey,
      parleyVersion: '0.1.0',
      knownMigrations: known,
    };
    const ok = await runDrill(drill);
    expect(ok).toMatchObject({ ok: true, backup: made.name, files: 2 });
    expect(ok.rows).toBe(Object.values(made.manifest.tables).reduce((a, b) => a + b, 0));
    expect(await lastDrill(dir)).toEqual(ok);
    expect(await snapshot(db)).toEqual(before);
    expect(await databases()).toEqual([]);
    truncateSync(made.file, made.size - 1);
    const failed = await runDrill(drill);
    expect(failed).toMatchObject({ ok: false, backup: made.name });
    expect(failed.error).toMatch(/damaged, truncated/);
    expect(await databases()).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.startsWith('.drill'))).toEqual([]);
  });

  it('lets one backup run at a time, across connections', async () => {
    const results = await Promise.allSettled([backupNow(), backupNow()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected');
    expect(failed?.reason).toBeInstanceOf(BackupBusyError);
  });
});
