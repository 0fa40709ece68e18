import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../app/storage/db.ts';
import { fileStore, readMasterKey } from '../../app/storage/fileStore.ts';
import type { FileRow } from '../../app/storage/files.ts';
import { runBackup } from '../../backup/worker/backupJob.ts';
import { devEnv, repoRoot, TEST_DB, testConfig } from '../harness/config.ts';
import { recreateDatabase, serverConnection, testDb, truncateAll } from '../harness/db.ts';
import {
  startTestParley,
  startVisitorChat,
  visitorUpload,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';
import { keyPair } from '../backup/fixtures.ts';

// Issue 15, no standby: `make failover FROM=offsite` on a fresh site. The lost site is a real
// Parley (chats, messages, an uploaded file through clamd and the encrypted store) whose worker
// code took two backups and copied them to a folder target; the newest copy is then tampered with
// (its .sha256 rewritten to match, as someone with write access to the target could). The command
// runs as IT runs it, in its own process, against an empty database and an empty files volume.

const work = mkdtempSync(join(tmpdir(), 'parley-from-offsite-'));
const offsite = join(work, 'offsite');
const rebuilt = `${TEST_DB}_dr`;
const file = (name: string, content: string | Buffer) => {
  writeFileSync(join(work, name), content, { mode: 0o600 });
  return join(work, name);
};
const lostSiteKey = file('lost-files-master-key', randomBytes(32));
const freshSiteKey = randomBytes(32);
const newSite = {
  PARLEY_DB_NAME: rebuilt,
  PARLEY_FILES_DIR: join(work, 'new-files'),
  PARLEY_FILES_MASTER_KEY_FILE: file('new-files-master-key', freshSiteKey),
  PARLEY_BACKUP_DIR: join(work, 'new-backups'),
  PARLEY_BACKUP_SIGNING_KEY_FILE: join(work, 'new.key'), // the new appliance's own, not the lost one's
  PARLEY_BACKUP_TARGET_DIR: offsite,
  PARLEY_BACKUP_SFTP_HOST: '',
  PARLEY_BACKUP_S3_BUCKET: '',
  PARLEY_DR_ADMIN_PASSWORD_FILE: '',
  PARLEY_PUBLIC_URL: 'https://chat.bank.example',
};

let t: TestParley;
let db: Db;
let visitor: VisitorSocket;
let older: string;
let newest: string;
let upload: Buffer;
let keys: { it: string; lostSigningPublic: string };

/** `node ops/dr.ts failover` with FROM=offsite, as `make failover FROM=offsite KEY=…` runs it. */
function failoverFromOffsite(extra: Record<string, string> = {}) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      ['ops/dr.ts', 'failover'],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          ...devEnv(),
          ...newSite,
          FROM: 'offsite',
          KEY: keys.it,
          SIGNING_PUBLIC_KEY: keys.lostSigningPublic,
          ...extra,
        },
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          out: stdout + stderr,
        }),
    );
  });
}

async function say(on: { chatId: number; socket: VisitorSocket }, body: string) {
  const ack = await on.socket.emitWithAck('message:send', {
    chatId: on.chatId,
    clientId: randomBytes(8).toString('hex'),
    body,
  });
  expect(ack.ok).toBe(true);
}

beforeAll(async () => {
  const [it_, lostSigner, newSigner] = await Promise.all([
    keyPair('IT'),
    keyPair('lost appliance'),
    keyPair('new appliance'),
  ]);
  keys = {
    it: file('it.key', it_.privateKey),
    lostSigningPublic: file('lost.pub', lostSigner.publicKey),
  };
  file('new.key', newSigner.privateKey);
  const lostSite = {
    PARLEY_FILES_DIR: join(work, 'lost-files'),
    PARLEY_FILES_MASTER_KEY_FILE: lostSiteKey,
    PARLEY_BACKUP_DIR: join(work, 'lost-backups'),
    PARLEY_BACKUP_RECIPIENTS_FILE: file('it.pub', it_.publicKey),
    PARLEY_BACKUP_SIGNING_KEY_FILE: file('lost.key', lostSigner.privateKey),
    PARLEY_BACKUP_TARGET_DIR: offsite,
  };
  db = testDb();
  await truncateAll(db);
  await recreateDatabase(rebuilt);
  t = await startTestParley(lostSite);

  // The lost site: a chat with messages and a file, backed up and copied offsite…
  const first = await startVisitorChat(t);
  visitor = first.socket;
  await say(first, 'my card was declined twice');
  await say(first, 'statement attached');
  upload = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(20_000)]);
  await visitorUpload(t, first, 'statement.pdf', upload).expect(201);
  const config = testConfig(lostSite);
  const one = await runBackup(config);
  expect(one.offsite).toMatchObject([{ ok: true }]);
  older = one.backup.name;
  // …then more, in a backup a second later (names carry the second).
  const second = await startVisitorChat(t);
  await say(second, 'written after the older backup');
  second.socket.disconnect();
  await new Promise((r) => setTimeout(r, 1100));
  const two = await runBackup(config);
  expect(two.offsite).toMatchObject([{ ok: true }]);
  newest = two.backup.name;
  expect(newest > older).toBe(true);

  // Someone with write access to the target flips bytes mid-file and fixes up the checksum.
  const copy = join(offsite, newest);
  const bytes = readFileSync(copy);
  for (let i = 0; i < 16; i++) bytes[Math.floor(bytes.length / 2) + i]! ^= 0xff;
  writeFileSync(copy, bytes);
  writeFileSync(
    `${copy}.sha256`,
    `${createHash('sha256').update(bytes).digest('hex')}  ${newest}\n`,
  );
});

afterAll(async () => {
  visitor?.disconnect();
  await t?.close();
  await db?.destroy();
  const server = serverConnection();
  const [rows] = (await server.raw('SHOW DATABASES')) as [{ Database: string }[]];
  for (const { Database: name } of rows)
    if (name === rebuilt || name.startsWith(`${rebuilt}_`))
      await server.raw(`DROP DATABASE \`${name}\``);
  await server.destroy();
  rmSync(work, { recursive: true, force: true });
});

const leftovers = async () => {
  const server = serverConnection();
  try {
    const [rows] = (await server.raw('SHOW DATABASES')) as [{ Database: string }[]];
    return rows.map((r) => r.Database).filter((name) => name.startsWith(`${rebuilt}_`));
  } finally {
    await server.destroy();
  }
};

describe('make failover FROM=offsite (no standby)', () => {
  it('skips the tampered newest copy, restores the older one whole and reports what was lost', async () => {
    const started = Date.now();
    const run = await failoverFromOffsite();
    const took = Date.now() - started;
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(
      new RegExp(
        `SKIPPED ${newest.replace(/\./g, '\\.')} on dir:${offsite}: backup refused: it is damaged, truncated or not signed`,
      ),
    );
    expect(run.out).toContain(`Restored ${older} from dir:${offsite}`);
    expect(run.out).toMatch(/RECOVERY POINT: \d+ s\. Everything written after \S+ .* is lost/);
    expect(run.out).toMatch(/RTO: this command took \d+\.\d s\./);
    expect(run.out).toContain('NOW: point chat.bank.example (its DNS record or virtual IP)');
    expect(run.out).toContain('curl https://chat.bank.example/readyz');

    const site = openDb(testConfig(newSite));
    try {
      // The older backup's chat and messages, and not what came after it.
      expect(await site('chats').count({ n: '*' })).toEqual([{ n: 1 }]);
      const bodies = (await site('messages').pluck('body')) as string[];
      expect(bodies).toEqual(
        expect.arrayContaining(['my card was declined twice', 'statement attached']),
      );
      expect(bodies).not.toContain('written after the older backup');
      // The file: its row, its blob, and the lost site's files key (the fresh one kept beside it).
      const row = (await site<FileRow>('files').first())!;
      expect(row.name).toBe('statement.pdf');
      const key = readMasterKey(newSite.PARLEY_FILES_MASTER_KEY_FILE);
      expect(key.equals(readFileSync(lostSiteKey))).toBe(true);
      const store = fileStore(newSite.PARLEY_FILES_DIR, key);
      const stream = await store.open(row.storage_key, {
        wrappedKey: row.wrapped_key,
        iv: row.iv,
        tag: row.tag,
      });
      expect((await buffer(stream!)).equals(upload)).toBe(true);
      const replaced = readdirSync(work).filter((n) =>
        n.startsWith('new-files-master-key.replaced-'),
      );
      expect(replaced).toHaveLength(1);
      expect(readFileSync(join(work, replaced[0]!)).equals(freshSiteKey)).toBe(true);

      // Audited with its figures, recorded as this site's last failover.
      const audit = await site('audit_events')
        .where({ action: 'dr.failover_from_offsite' })
        .select(site.raw('CAST(details AS CHAR) AS details'));
      expect(audit).toHaveLength(1);
      const details = JSON.parse((audit[0] as { details: string }).details) as Record<
        string,
        unknown
      >;
      expect(details).toMatchObject({
        backup: older,
        target: `dir:${offsite}`,
        skipped: [{ backup: newest, target: `dir:${offsite}` }],
        filesKey: 'replaced',
      });
      expect(details.rpoSeconds).toBeGreaterThanOrEqual(1);
      expect(details.rtoMs).toBeGreaterThan(0);
      expect(details.rtoMs).toBeLessThanOrEqual(took);
      expect(await site('dr_failovers').select('kind', 'from_site')).toEqual([
        { kind: 'offsite', from_site: `dir:${offsite} ${older}` },
      ]);
    } finally {
      await site.destroy();
    }
    // Nothing to roll back to on a new site: no staging, rollback or downloaded copy is left.
    expect(await leftovers()).toEqual([]);
    expect(readdirSync(work).filter((n) => n.startsWith('new-files.'))).toEqual([]);
    expect(readdirSync(newSite.PARLEY_BACKUP_DIR)).toEqual([]);
  });

  it('refuses a site that holds chats, and FORCE=1 replaces them keeping a rollback point', async () => {
    const again = await failoverFromOffsite();
    expect(again.code, again.out).toBe(2);
    expect(again.out).toContain(`Refused: this site's database ${rebuilt} holds 1 chat(s)`);
    expect(again.out).toContain('FORCE=1');
    expect(await leftovers()).toEqual([]);

    const forced = await failoverFromOffsite({ FORCE: '1' });
    expect(forced.code, forced.out).toBe(0);
    expect(forced.out).toContain('FORCE: replacing a database that holds 1 chat(s).');
    expect(forced.out).toContain(`Restored ${older} from dir:${offsite}`);
    expect(forced.out).toContain('make restore-rollback puts it back');
    expect(await leftovers()).toEqual([
      expect.stringMatching(new RegExp(`^${rebuilt}_rollback_\\d{14}$`)),
    ]);
    expect(forced.out).toContain(
      `FILES KEY: ${newSite.PARLEY_FILES_MASTER_KEY_FILE} already holds`,
    );
  });
});
