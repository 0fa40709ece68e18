import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { directoryTarget, replicate, sftpTarget, type SftpSettings } from '../../backup/targets.ts';
import { testSshd, type TestSshd } from './sshd.ts';

let sshd: TestSshd;
let backup: { file: string; name: string; size: number; sha256: string };
let settings: SftpSettings;

beforeAll(async () => {
  sshd = await testSshd();
  const dir = mkdtempSync(join(tmpdir(), 'parley-targets-'));
  const name = 'parley-20261121T230000Z.tar.gz.gpg';
  const body = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  writeFileSync(join(dir, name), body);
  backup = {
    file: join(dir, name),
    name,
    size: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  settings = {
    host: '127.0.0.1',
    port: sshd.port,
    username: sshd.user,
    privateKey: sshd.clientKey,
    hostKey: sshd.hostKeyFingerprint,
    path: sshd.root,
    readyTimeout: 3000,
  };
});

afterAll(async () => {
  await sshd.stop();
});

describe('offsite targets', () => {
  it('retries an SFTP target that is down, then uploads and verifies once it is up', async () => {
    const retries: string[] = [];
    const result = await replicate(sftpTarget(settings), backup, {
      attempts: 4,
      backoffMs: 50,
      onRetry: async (attempt, error) => {
        retries.push(`${attempt}: ${error.message}`);
        if (attempt === 2) await sshd.start();
      },
    });
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/ECONNREFUSED/);
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(readdirSync(sshd.root)).toEqual([backup.name]);
  });

  it('refuses an SFTP server whose host key is not the pinned one, without retrying', async () => {
    const result = await replicate(
      sftpTarget({
        ...settings,
        hostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        path: join(sshd.root, 'x'),
      }),
      backup,
      { attempts: 3, backoffMs: 50 },
    );
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/host key other than the pinned/);
    expect(existsSync(join(sshd.root, 'x'))).toBe(false);
  });

  it('reports a target that stays down, without throwing', async () => {
    const result = await replicate(sftpTarget({ ...settings, port: 1 }), backup, {
      attempts: 2,
      backoffMs: 10,
    });
    expect(result).toMatchObject({ ok: false, attempts: 2 });
  });

  it('copies to a mounted folder under a temporary name and verifies the copy', async () => {
    const path = mkdtempSync(join(tmpdir(), 'parley-mount-'));
    const result = await replicate(directoryTarget(path), backup, { attempts: 1 });
    expect(result).toMatchObject({ ok: true, attempts: 1 });
    expect(readdirSync(path)).toEqual([backup.name]);
  });
});
