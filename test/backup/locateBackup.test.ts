import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupNotFoundError, locateBackup } from '../../backup/offsite/locateBackup.ts';
import { replicate } from '../../backup/offsite/replicate.ts';
import { directoryTarget } from '../../backup/offsite/directoryTarget.ts';
import { s3Target } from '../../backup/offsite/s3Target.ts';
import { testS3, type TestS3 } from './s3server.ts';

const NAME = 'parley-20261121T230000Z.tar.gz.gpg';
let local: string;
let offsite: string;
let body: Buffer;

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function writeBackup(dir: string, name: string, content: Buffer, sum = sha(content)): string {
  writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, `${name}.sha256`), `${sum}  ${name}\n`);
  return join(dir, name);
}

let s3server: TestS3;
const s3 = () => s3Target(bucketSettings());

beforeAll(async () => {
  s3server = await testS3();
  await s3server.start();
  body = randomBytes(256 * 1024);
  const source = temp('parley-locate-src-');
  const file = writeBackup(source, NAME, body);
  const copy = { file, name: NAME, size: body.length, sha256: sha(body) };
  const companions = [`${file}.sha256`];
  offsite = temp('parley-locate-offsite-');
  expect((await replicate(directoryTarget(offsite), { ...copy, companions })).ok).toBe(true);
  expect((await replicate(s3Target(bucketSettings()), { ...copy, companions })).ok).toBe(true);
});

function bucketSettings() {
  return {
    endpoint: s3server.endpoint,
    region: 'us-east-1',
    bucket: s3server.bucket,
    prefix: 'site/',
    accessKeyId: s3server.accessKeyId,
    secretKey: s3server.secretKey,
    pathStyle: true,
  };
}

afterAll(async () => {
  await s3server.stop();
});

describe('make restore BACKUP=… finds the backup', () => {
  it('takes a file path, or a name in the local backup folder, as it is', async () => {
    local = temp('parley-locate-local-');
    const file = writeBackup(local, NAME, body);
    const targets = () => Promise.reject(new Error('must not look offsite'));
    for (const spec of [file, NAME]) {
      const found = await locateBackup(spec, { backupDir: local, targets });
      expect(found).toMatchObject({ file, from: 'local' });
      await found.cleanup();
      expect(existsSync(file)).toBe(true);
    }
  });

  it('downloads a copy from a mounted folder and from S3, checks it, and removes it afterwards', async () => {
    local = temp('parley-locate-local-');
    for (const [spec, where] of [
      [NAME, `dir:${offsite}`],
      [`s3:${NAME}`, 's3:'],
    ] as const) {
      const lines: string[] = [];
      const found = await locateBackup(spec, {
        backupDir: local,
        targets: () => Promise.resolve([directoryTarget(offsite), s3()]),
        say: (line) => lines.push(line),
      });
      expect(found.from.startsWith(where)).toBe(true);
      expect(readFileSync(found.file).equals(body)).toBe(true);
      expect(lines.join('\n')).toContain(`sha256 ${sha(body)}`);
      await found.cleanup();
      expect(readdirSync(local)).toEqual([]);
    }
  });

  it('refuses a copy that does not match its .sha256, leaving nothing behind', async () => {
    local = temp('parley-locate-local-');
    const damaged = temp('parley-locate-damaged-');
    writeBackup(damaged, NAME, body, sha(Buffer.from('something else')));
    await expect(
      locateBackup(`dir:${NAME}`, {
        backupDir: local,
        targets: () => Promise.resolve([directoryTarget(damaged)]),
      }),
    ).rejects.toThrow(/does not match its \.sha256.*damaged/);
    expect(readdirSync(local)).toEqual([]);
  });

  it('says where it looked when no copy exists, and what a valid BACKUP looks like', async () => {
    local = temp('parley-locate-local-');
    const other = 'parley-20201121T230000Z.tar.gz.gpg';
    await expect(
      locateBackup(other, {
        backupDir: local,
        targets: () => Promise.resolve([directoryTarget(offsite)]),
      }),
    ).rejects.toThrow(`no backup named ${other} in local ${local}, dir:${offsite}`);
    for (const bad of ['yesterday', 'ftp:' + NAME, '../' + NAME]) {
      await expect(
        locateBackup(bad, { backupDir: local, targets: () => Promise.resolve([]) }),
      ).rejects.toBeInstanceOf(BackupNotFoundError);
    }
  });
});
