import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { standbyFiles, type StandbyFilesSettings } from '../../backup/offsite/standbyFiles.ts';
import { fileShipper, runFileShipper } from '../../backup/worker/fileShipper.ts';
import type { Db } from '../../app/storage/db.ts';
import { fileShipmentsRepo, filesLag } from '../../app/storage/fileShipments.ts';
import { blobPath } from '../../app/storage/fileStore.ts';
import { testSshd, type TestSshd } from '../backup/sshd.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import {
  capturingLogger,
  startTestParley,
  startVisitorChat,
  visitorUpload,
  type TestParley,
} from '../harness/parley.ts';

// Issue 15, the files volume following the database to the standby: real MariaDB, real uploads
// (clamd, the encrypted file store), a real OpenSSH server standing in for the standby site, whose
// folder a second Parley then serves downloads from.

const primaryDir = mkdtempSync(join(tmpdir(), 'parley-dr-primary-'));
let sshd: TestSshd;
let standbyDir: string;
let login: StandbyFilesSettings;
let t: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  sshd = await testSshd();
  await sshd.start();
  login = {
    host: '127.0.0.1',
    port: sshd.port,
    username: sshd.user,
    privateKey: sshd.clientKey,
    hostKey: sshd.hostKeyFingerprint,
    path: '',
    readyTimeout: 3000,
  };
  t = await startTestParley({ PARLEY_FILES_DIR: primaryDir });
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await t.close();
  await sshd.stop();
  await db.destroy();
  rmSync(primaryDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await truncateAll(db);
  for (const name of readdirSync(join(primaryDir, 'store')))
    rmSync(join(primaryDir, 'store', name));
  // Each test ships to a standby volume of its own, which does not exist until the first file.
  standbyDir = join(sshd.root, `files-${randomBytes(4).toString('hex')}`);
  login.path = standbyDir;
});

const pdf = () => Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(30_000)]);

/** A visitor's chat with `count` PDFs uploaded through the real upload path; their ids and bytes. */
async function chatWithFiles(count: number) {
  const { socket, ...chat } = await startVisitorChat(t);
  sockets.push(socket);
  const files: { id: number; key: string; bytes: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = pdf();
    const res = await visitorUpload(t, chat, `statement-${i}.pdf`, bytes).expect(201);
    const id = (res.body as { message: { file: { id: number } } }).message.file.id;
    const row = await db('files').where({ id }).first<{ storage_key: string }>('storage_key');
    files.push({ id, key: row.storage_key, bytes });
  }
  return { token: chat.token, files };
}

function shipperFor(
  settings: StandbyFilesSettings,
  { log = capturingLogger().log, retryMs = 50, fullPassMs = 60_000 } = {},
) {
  return fileShipper({
    shipments: fileShipmentsRepo(db),
    standby: standbyFiles(settings),
    localBlob: (key) => blobPath(primaryDir, key),
    log,
    retryMs,
    fullPassMs,
    batch: 2,
  });
}

const download = (server: TestParley, token: string, id: number) =>
  server
    .http()
    .get(`/api/visitor/files/${id}`)
    .set('Authorization', `Bearer ${token}`)
    .buffer(true)
    .parse((r, done) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => done(null, Buffer.concat(parts)));
    });

const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('shipping the files volume to the standby', () => {
  it('ships every stored blob byte for byte, records it, and the lag falls to nothing', async () => {
    const { files } = await chatWithFiles(3);
    const before = await filesLag(db, primaryDir);
    expect(before).toMatchObject({ unshipped: 3, missingHere: 0, missingExamples: [] });
    expect(before.oldestUnshippedAt).toBeInstanceOf(Date);
    // The standby, before: every file's row (replicated) but no blob at all.
    expect(await filesLag(db, standbyDir)).toMatchObject({
      missingHere: 3,
      missingExamples: files.map((f) => String(f.id)),
    });

    const shipper = shipperFor(login); // pages of 2: the third file comes from a second page
    expect(await shipper.round()).toEqual({ primary: true, shipped: 3, removed: 0, deferred: 0 });
    await shipper.close();

    for (const file of files)
      expect(readFileSync(join(standbyDir, 'store', file.key))).toEqual(
        readFileSync(join(primaryDir, 'store', file.key)),
      );
    expect(readdirSync(join(standbyDir, 'tmp'))).toEqual([]);
    const rows = await db('dr_file_shipments').orderBy('storage_key');
    expect(rows.map((r: { storage_key: string }) => r.storage_key)).toEqual(
      files.map((f) => f.key).sort(),
    );
    for (const row of rows as { bytes: number; shipped_at: Date }[]) {
      expect(Number(row.bytes)).toBe(30_009);
      expect(row.shipped_at).toBeInstanceOf(Date);
    }
    expect(await filesLag(db, primaryDir)).toEqual({
      unshipped: 0,
      oldestUnshippedAt: null,
      missingHere: 0,
      missingExamples: [],
    });
    expect(await filesLag(db, standbyDir)).toMatchObject({ unshipped: 0, missingHere: 0 });
    // Nothing is sent twice.
    expect((await shipperFor(login).round()).shipped).toBe(0);
  });

  it('the standby serves the shipped files; one not arrived is file_not_arrived 503, warned once', async () => {
    const { token, files } = await chatWithFiles(2);
    const shipper = shipperFor(login);
    await shipper.round();
    await shipper.close();
    const [arrived, lost] = files as [(typeof files)[0], (typeof files)[0]];
    rmSync(join(standbyDir, 'store', lost.key)); // as if its row replicated before its blob

    const { log, lines } = capturingLogger();
    const standby = await startTestParley({ PARLEY_FILES_DIR: standbyDir }, log);
    try {
      // The standby's copy decrypts with the key the replicated row holds: the same bytes.
      const got = await download(standby, token, arrived.id).expect(200);
      expect(Buffer.compare(got.body as Buffer, arrived.bytes)).toBe(0);

      for (let i = 0; i < 2; i++) {
        const res = await download(standby, token, lost.id).expect(503);
        expect(res.headers['retry-after']).toBe('60');
        expect(JSON.parse((res.body as Buffer).toString('utf8'))).toMatchObject({
          error: {
            id: 'file_not_arrived',
            message: 'This file has not reached this site yet; try again in a minute.',
          },
        });
      }
      const warnings = lines
        .map((line) => JSON.parse(line) as { level: string; msg: string; fileId?: number })
        .filter((line) => line.level === 'warn' && line.fileId !== undefined);
      expect(warnings).toEqual([expect.objectContaining({ fileId: lost.id })]);
      expect(lines.join('\n')).not.toContain(lost.key);
      expect(await filesLag(db, standbyDir)).toMatchObject({
        missingHere: 1,
        missingExamples: [String(lost.id)],
      });
      const audited = await db('audit_events').where({ action: 'file.download' }).orderBy('id');
      expect(audited.map((e: { outcome: string }) => e.outcome)).toEqual([
        'success',
        'failure',
        'failure',
      ]);
    } finally {
      await standby.close();
    }
  });

  it("removes the standby's copy of a file deleted here, and its shipment row", async () => {
    const { files } = await chatWithFiles(2);
    const shipper = shipperFor(login, { fullPassMs: 0 }); // deletions are seen by full passes
    await shipper.round();
    const [kept, erased] = files as [(typeof files)[0], (typeof files)[0]];
    await db('files').where({ id: erased.id }).delete(); // as retention or erasure does
    rmSync(join(primaryDir, 'store', erased.key));

    expect(await shipper.round()).toEqual({ primary: true, shipped: 0, removed: 1, deferred: 0 });
    await shipper.close();
    expect(readdirSync(join(standbyDir, 'store'))).toEqual([kept.key]);
    expect(await db('dr_file_shipments').pluck('storage_key')).toEqual([kept.key]);
  });

  it('a blob missing here is logged and retried later, without holding up the others', async () => {
    const { files } = await chatWithFiles(2);
    const [lost, fine] = files as [(typeof files)[0], (typeof files)[0]];
    rmSync(join(primaryDir, 'store', lost.key));
    const { log, lines } = capturingLogger();
    const shipper = shipperFor(login, { log, retryMs: 10_000 });
    expect(await shipper.round()).toMatchObject({ shipped: 1, deferred: 1 });
    expect(await shipper.round()).toMatchObject({ shipped: 0, deferred: 1 }); // waiting its turn
    await shipper.close();
    expect(existsSync(join(standbyDir, 'store', fine.key))).toBe(true);
    const warned = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warned.filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({ fileId: lost.id, failures: 1, retryInMs: 20_000 }),
    ]);
    expect(await filesLag(db, primaryDir)).toMatchObject({ unshipped: 1, missingHere: 1 });
  });

  it('refuses a standby whose host key is not the pinned one: nothing shipped, said loudly, retried slowly', async () => {
    await chatWithFiles(1);
    const { log, lines } = capturingLogger();
    const wrong = { ...login, hostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const loop = runFileShipper(shipperFor(wrong, { log }), {
      intervalMs: 20,
      log,
      hostKeyRetryMs: 60_000,
    });
    await until(() => lines.some((line) => line.includes('FILE SHIPPING STOPPED')));
    await new Promise((r) => setTimeout(r, 300)); // 15 intervals: no second attempt
    await loop.stop();
    const errors = lines.filter((line) => JSON.parse(line).level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`other than the pinned ${wrong.hostKey}`);
    expect(errors[0]).toContain('"retryInMs":60000');
    expect(existsSync(standbyDir)).toBe(false);
    expect(await db('dr_file_shipments').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('a standby that is down is retried with growing waits, and shipped to once it is back', async () => {
    const { files } = await chatWithFiles(1);
    await sshd.stop();
    let restarted = false;
    const { log, lines } = capturingLogger();
    const loop = runFileShipper(shipperFor(login, { log }), {
      intervalMs: 20,
      log,
      maxBackoffMs: 160,
    });
    try {
      await until(() => lines.filter((line) => line.includes('retrying')).length >= 3);
      const waits = lines
        .map((line) => JSON.parse(line) as { retryInMs?: number; problem?: string })
        .filter((line) => line.retryInMs !== undefined);
      expect(waits.slice(0, 3).map((w) => w.retryInMs)).toEqual([40, 80, 160]);
      expect(waits[0]!.problem).toMatch(/ECONNREFUSED/);
      expect(lines.join('\n')).not.toContain('PRIVATE KEY');
      await sshd.start();
      restarted = true;
      await until(() => existsSync(join(standbyDir, 'store', files[0]!.key)));
      await until(() => lines.some((line) => line.includes('works again')));
    } finally {
      await loop.stop();
      if (!restarted) await sshd.start(); // for the tests after this one
    }
    expect(await fileShipmentsRepo(db).pending()).toEqual({ count: 0, oldest: null });
  });

  it('ships nothing while the database is read-only (a standby), then ships once it is writable', async () => {
    await chatWithFiles(1);
    let writable = false;
    const shipper = fileShipper({
      shipments: { ...fileShipmentsRepo(db), writable: () => Promise.resolve(writable) },
      standby: standbyFiles(login),
      localBlob: (key) => blobPath(primaryDir, key),
      log: capturingLogger().log,
      retryMs: 50,
    });
    expect(await shipper.round()).toEqual({ primary: false, shipped: 0, removed: 0, deferred: 0 });
    expect(existsSync(standbyDir)).toBe(false);
    writable = true; // a failover made this site the primary, without a restart
    expect(await shipper.round()).toMatchObject({ primary: true, shipped: 1 });
    await shipper.close();
  });
});
