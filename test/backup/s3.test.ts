import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { replicateAll } from '../../backup/worker/backupJob.ts';
import { BackupNotConfiguredError, offsiteTargets } from '../../backup/worker/settings.ts';
import { prune } from '../../backup/retention/keepRules.ts';
import { backupName } from '../../app/storage/backupStatus.ts';
import { parseEndpoint, s3Target, type S3Settings } from '../../backup/offsite/s3Target.ts';
import { replicate } from '../../backup/offsite/replicate.ts';
import { backupStatus } from '../../app/domain/backupStatus.ts';
import { testConfig } from '../harness/config.ts';
import { testS3, type TestS3 } from './s3server.ts';
import { freePort } from './sshd.ts';

let s3: TestS3;
let dir: string;
let backup: { file: string; name: string; size: number; sha256: string };
let companion: string;

function localFile(name: string, body: Buffer) {
  writeFileSync(join(dir, name), body);
  return {
    file: join(dir, name),
    name,
    size: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}

const settings = (overrides: Partial<S3Settings> = {}): S3Settings => ({
  endpoint: s3.endpoint,
  region: 'us-east-1',
  bucket: s3.bucket,
  prefix: 'appliance/',
  accessKeyId: s3.accessKeyId,
  secretKey: s3.secretKey,
  pathStyle: true,
  ...overrides,
});

beforeAll(async () => {
  s3 = await testS3();
  await s3.start();
  dir = mkdtempSync(join(tmpdir(), 'parley-s3-local-'));
  backup = localFile('parley-20261121T230000Z.tar.gz.gpg', Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  companion = localFile(`${backup.name}.sha256`, Buffer.from(`${backup.sha256}\n`)).file;
});

afterAll(async () => {
  await s3.stop();
});

describe('the S3 offsite target', () => {
  it('copies a backup and its companion, and reads the copy back to verify it', async () => {
    const result = await replicate(
      s3Target(settings()),
      { ...backup, companions: [companion] },
      { attempts: 1 },
    );
    expect(result).toMatchObject({ ok: true, attempts: 1 });
    const target = s3Target(settings());
    expect((await target.list()).sort()).toEqual([backup.name, `${backup.name}.sha256`]);
    expect(await target.digest(backup.name)).toEqual({ size: backup.size, sha256: backup.sha256 });
    await target.close();
  });

  it('uploads a backup larger than one part as a multipart upload', async () => {
    const big = localFile('parley-20261120T230000Z.tar.gz.gpg', randomBytes(11 * 1024 * 1024 + 3));
    const target = s3Target(settings({ prefix: 'multipart', partSize: 5 * 1024 * 1024 }));
    const parts = vi.spyOn(Minio.Client.prototype, 'uploadPart');
    try {
      expect(await replicate(target, big, { attempts: 1 })).toMatchObject({ ok: true });
      expect(parts.mock.calls.map(([part]) => part.partNumber)).toEqual([1, 2, 3]);
    } finally {
      parts.mockRestore();
    }
    expect(await target.list()).toEqual([big.name]);
  });

  it('retries while the server is down, then uploads and verifies once it is up', async () => {
    await s3.stop();
    const retries: string[] = [];
    const result = await replicate(s3Target(settings({ prefix: 'retry/' })), backup, {
      attempts: 4,
      backoffMs: 50,
      onRetry: async (attempt, error) => {
        retries.push(`${attempt}: ${error.message}`);
        if (attempt === 2) await s3.start();
      },
    });
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/ECONNREFUSED/);
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(await s3Target(settings({ prefix: 'retry/' })).list()).toEqual([backup.name]);
  });

  it('reports wrong credentials as not ok, with a clear error and without retrying', async () => {
    const wrongSecret = await replicate(
      s3Target(settings({ prefix: 'refused/', secretKey: 'not-the-secret' })),
      backup,
      { attempts: 3, backoffMs: 50 },
    );
    expect(wrongSecret).toMatchObject({ ok: false, attempts: 1 });
    expect(wrongSecret.error).toMatch(
      /refused the credentials \(SignatureDoesNotMatch\): check PARLEY_BACKUP_S3_ACCESS_KEY_ID and PARLEY_BACKUP_S3_SECRET_KEY_FILE/,
    );
    const wrongId = await replicate(
      s3Target(settings({ prefix: 'refused/', accessKeyId: 'NOBODY' })),
      backup,
      { attempts: 3, backoffMs: 50 },
    );
    expect(wrongId.error).toMatch(/refused the credentials \(InvalidAccessKeyId\)/);
    expect(await s3Target(settings({ prefix: 'refused/' })).list()).toEqual([]);
  });

  it('reports a server that stays down, without throwing', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const result = await replicate(s3Target(settings({ endpoint })), backup, {
      attempts: 2,
      backoffMs: 10,
    });
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a server that accepts the connection but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const result = await replicate(
      s3Target(settings({ endpoint: `http://127.0.0.1:${port}`, idleTimeoutMs: 300 })),
      backup,
      { attempts: 1 },
    );
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => silent.close(resolve));
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+ for 0\.3 s/);
  });

  it('applies the keep rules to the bucket, and with dry-run only lists what it would delete', async () => {
    const target = s3Target(settings({ prefix: 'keep/' }));
    const tiny = localFile('tiny', Buffer.from('x')).file;
    // Every 6 hours for 3 days, the newest on 2026-11-21 at 18:00 UTC.
    const times = Array.from(
      { length: 12 },
      (_, i) => new Date(Date.parse('2026-11-21T18:00:00Z') - i * 6 * 3600_000),
    );
    for (const t of times) {
      await target.put(tiny, backupName(t));
      await target.put(tiny, `${backupName(t)}.sha256`);
    }
    await target.put(tiny, 'unrelated.txt');
    const small = { last: 2, daily: 3, weekly: 0, monthly: 0, yearly: 0 };
    const dry = await prune(target, small, true);
    expect(dry.kept).toHaveLength(4); // 21T18, 21T12, 20T18, 19T18
    expect(dry.deleted).toHaveLength(8);
    expect(await target.list()).toHaveLength(25);
    const real = await prune(target, small);
    expect(real).toEqual(dry);
    expect((await target.list()).sort()).toEqual(
      [...dry.kept.flatMap((n) => [n, `${n}.sha256`]), 'unrelated.txt'].sort(),
    );
    await target.close();
  });

  it('trusts a private CA from the CA file, and refuses the server without it', async () => {
    const tls = await testS3({ tls: true });
    await tls.start();
    try {
      const over = { endpoint: tls.endpoint, bucket: tls.bucket };
      const untrusted = await replicate(s3Target(settings(over)), backup, {
        attempts: 3,
        backoffMs: 10,
      });
      expect(untrusted).toMatchObject({ ok: false, attempts: 1 });
      expect(untrusted.error).toMatch(/is not trusted .*PARLEY_BACKUP_S3_CA_FILE/);
      const trusted = await replicate(s3Target(settings({ ...over, ca: tls.ca! })), backup, {
        attempts: 1,
      });
      expect(trusted).toMatchObject({ ok: true, attempts: 1 });
    } finally {
      await tls.stop();
    }
  });

  it('uses https unless http:// is written out', () => {
    expect(parseEndpoint('s3.example.com')).toEqual({ host: 's3.example.com', secure: true });
    expect(parseEndpoint('https://10.0.0.5:9000')).toEqual({
      host: '10.0.0.5',
      port: 9000,
      secure: true,
    });
    expect(parseEndpoint('http://127.0.0.1:9000/')).toMatchObject({ secure: false });
  });
});

describe('the S3 target in the backup job', () => {
  const env = (overrides: Record<string, string> = {}) => {
    const secretFile = join(dir, 's3-secret');
    writeFileSync(secretFile, `${s3.secretKey}\n`, { mode: 0o600 });
    return testConfig({
      PARLEY_BACKUP_DIR: dir,
      PARLEY_BACKUP_S3_ENDPOINT: s3.endpoint,
      PARLEY_BACKUP_S3_BUCKET: s3.bucket,
      PARLEY_BACKUP_S3_PREFIX: 'job',
      PARLEY_BACKUP_S3_ACCESS_KEY_ID: s3.accessKeyId,
      PARLEY_BACKUP_S3_SECRET_KEY_FILE: secretFile,
      PARLEY_BACKUP_OFFSITE_ATTEMPTS: '1',
      ...overrides,
    });
  };
  const result = () => ({ ...backup, manifest: {} as never });

  it('is built from the configuration, copies, verifies and prunes there', async () => {
    const [offsite] = await replicateAll(env(), result(), [companion]);
    expect(offsite).toMatchObject({
      target: `s3:${s3.endpoint}/${s3.bucket}/job/`,
      ok: true,
      pruned: { kept: [backup.name], deleted: [] },
    });
    const targets = await offsiteTargets(env());
    expect((await targets[0]!.list()).sort()).toEqual([backup.name, `${backup.name}.sha256`]);
    await targets[0]!.close();
  });

  it('raises an alert in the status when the copy fails', async () => {
    const wrong = join(dir, 'wrong-secret');
    writeFileSync(wrong, 'wrong');
    const [offsite] = await replicateAll(
      env({ PARLEY_BACKUP_S3_SECRET_KEY_FILE: wrong }),
      result(),
      [],
    );
    expect(offsite).toMatchObject({ ok: false });
    const status = await backupStatus(dir);
    expect(status.alerts).toContainEqual(
      expect.stringMatching(/^offsite s3:.*refused the credentials \(SignatureDoesNotMatch\)/),
    );
  });

  it('refuses a bucket without the endpoint, access key id or secret key file', async () => {
    await expect(offsiteTargets(env({ PARLEY_BACKUP_S3_SECRET_KEY_FILE: '' }))).rejects.toThrow(
      BackupNotConfiguredError,
    );
  });
});
