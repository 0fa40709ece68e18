import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../app/log.ts';
import { fileStore } from '../../app/storage/fileStore.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';

// Temp files in the files volume's tmp/ are what an upload in progress writes; a crash leaves them
// behind. They are swept at start (and every 10 minutes) once untouched for longer than any live
// upload can be (an hour, or twice the scan timeout); names that are not temp files stay.

const HOUR = 60 * 60_000;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A files volume with an old leftover, a fresh (live) temp file and a file that is not ours. */
function volume(ageMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sweep-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const path = (name: string) => join(dir, 'tmp', name);
  const old = randomBytes(16).toString('hex');
  const fresh = randomBytes(16).toString('hex');
  for (const name of [old, fresh, 'notes.txt']) writeFileSync(path(name), randomBytes(100));
  const then = new Date(Date.now() - ageMs);
  utimesSync(path(old), then, then);
  utimesSync(path('notes.txt'), then, then);
  return { dir, exists: (name: string) => existsSync(path(name)), old, fresh };
}

describe('temp files a crash left behind', () => {
  it('the store removes temp files untouched for longer than the age given, and counts them', async () => {
    const v = volume(2 * HOUR);
    const store = fileStore(v.dir, randomBytes(32));
    expect(await store.sweepLeftovers(3 * HOUR)).toBe(0);
    expect(v.exists(v.old)).toBe(true);
    expect(await store.sweepLeftovers(HOUR)).toBe(1);
    expect(v.exists(v.old)).toBe(false);
    expect(v.exists(v.fresh)).toBe(true);
    expect(v.exists('notes.txt')).toBe(true);
  });

  it('the app sweeps at start and logs how many it removed', async () => {
    const v = volume(2 * HOUR);
    const lines: string[] = [];
    const log = createLogger(
      'info',
      'parley',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    let t: TestParley | undefined;
    try {
      t = await startTestParley({ PARLEY_FILES_DIR: v.dir }, log);
      const swept = () =>
        lines
          .map((line) => JSON.parse(line) as { msg: string; removed?: number })
          .find((entry) => entry.msg === 'removed temp files left by interrupted uploads');
      for (let i = 0; i < 100 && !swept(); i += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(swept()?.removed).toBe(1);
      expect(v.exists(v.old)).toBe(false);
      expect(v.exists(v.fresh)).toBe(true);
      // The age is an hour here (twice the scan timeout is less): an hour on, the fresh one goes.
      expect(await t.parley.services.files.sweepLeftovers(Date.now() + HOUR + 1000)).toBe(1);
      expect(v.exists(v.fresh)).toBe(false);
    } finally {
      await t?.close();
    }
  });
});

describe('a temp file being written', () => {
  it('is removed by discard whatever its state: opening, written, sealing or sealed', async () => {
    const v = volume(0);
    const store = fileStore(v.dir, randomBytes(32));
    const tmp = () => readdirSync(join(v.dir, 'tmp')).filter((name) => name !== 'notes.txt');
    const before = tmp();
    const opening = store.create();
    await opening.discard();
    const written = store.create();
    await written.write(randomBytes(3 * 1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await written.discard();
    const sealing = store.create();
    await sealing.write(randomBytes(1000));
    sealing.seal().catch(() => undefined);
    await sealing.discard();
    const sealed = store.create();
    await sealed.write(randomBytes(1000));
    await sealed.seal();
    await sealed.discard();
    expect(tmp()).toEqual(before);
  });

  it('sealed and committed, it is in the store and decrypts to what was written', async () => {
    const v = volume(0);
    const store = fileStore(v.dir, randomBytes(32));
    const data = randomBytes(1024 * 1024 + 12_345);
    const blob = store.create();
    for (let offset = 0; offset < data.length; offset += 16_384)
      await blob.write(data.subarray(offset, offset + 16_384));
    const sealed = await blob.seal();
    await blob.commit();
    expect(existsSync(store.pathOf(blob.storageKey))).toBe(true);
    expect(readFileSync(store.pathOf(blob.storageKey)).includes(data.subarray(0, 64))).toBe(false);
    const parts: Buffer[] = [];
    for await (const part of (await store.open(blob.storageKey, sealed))!)
      parts.push(part as Buffer);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    // A blob not in the store (a standby's, not arrived yet) opens as null, not as an error.
    await store.remove(blob.storageKey);
    expect(await store.open(blob.storageKey, sealed)).toBeNull();
  });
});
