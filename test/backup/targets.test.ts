import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { directoryTarget } from '../../backup/offsite/directoryTarget.ts';
import { replicate } from '../../backup/offsite/replicate.ts';
import { sftpTarget, type SftpSettings } from '../../backup/offsite/sftpTarget.ts';
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

  it('gives up on a folder that stops answering, raises it, and makes no further call there', async () => {
    // A FIFO blocks open() in libuv's thread pool until the other end opens, as a file on a hung
    // hard NFS mount blocks: the copy's temporary name is one here.
    const path = mkdtempSync(join(tmpdir(), 'parley-hung-mount-'));
    const tmp = join(path, `.${backup.name}.tmp`);
    execFileSync('mkfifo', [tmp]);
    const target = directoryTarget(path, { idleMs: 300 });
    const started = Date.now();
    const result = await replicate(target, backup, { attempts: 3, backoffMs: 10 });
    expect(result).toMatchObject({ ok: false, attempts: 3 });
    expect(result.error).toMatch(/has not answered since .*writing .*NFS or SMB mount hung/);
    expect(Date.now() - started).toBeLessThan(5000);
    // A later round (a new target object) does not call into the folder either.
    await expect(directoryTarget(path, { idleMs: 300 }).list()).rejects.toThrow(/has not answered/);
    // The mount comes back: the stuck call completes, and the folder is used again.
    const reader = createReadStream(tmp);
    const closed = once(reader, 'close');
    reader.resume();
    await closed;
    rmSync(tmp, { force: true });
    const again = await replicate(directoryTarget(path), backup, { attempts: 1 });
    expect(again).toMatchObject({ ok: true });
    expect(readdirSync(path)).toEqual([backup.name]);
  });

  it('does not mistake a slow copy that keeps moving for a hung one', async () => {
    const path = mkdtempSync(join(tmpdir(), 'parley-slow-mount-'));
    // The backup arrives through a FIFO, 256 KiB every 100 ms: the copy takes ~1.3 s in all,
    // more than three times the idle limit, but never stops moving for long.
    const slow = join(mkdtempSync(join(tmpdir(), 'parley-slow-source-')), backup.name);
    execFileSync('mkfifo', [slow]);
    const body = readFileSync(backup.file);
    const feeding = (async () => {
      const out = createWriteStream(slow);
      for (let at = 0; at < body.length; at += 256 * 1024) {
        out.write(body.subarray(at, at + 256 * 1024));
        await new Promise((r) => setTimeout(r, 100));
      }
      out.end();
      await once(out, 'close');
    })();
    const started = Date.now();
    const result = await replicate(
      directoryTarget(path, { idleMs: 400 }),
      { ...backup, file: slow },
      { attempts: 1 },
    );
    await feeding;
    expect(result).toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThan(1000);
  });
});
