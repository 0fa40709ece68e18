import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileShipper, type Shipments } from '../../backup/worker/fileShipper.ts';
import type { StandbyFiles } from '../../backup/offsite/standbyFiles.ts';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { capturingLogger } from '../harness/parley.ts';

// The shipper's loop logic with its database and standby stubbed (fileShipping.test.ts runs the
// real ones), and the settings' refusal of an unpinned standby.

const dir = mkdtempSync(join(tmpdir(), 'parley-shipper-'));
const key = (n: number) => n.toString(16).padStart(32, '0');

/** Files 1..count, stored here unless listed in `missing`; a database writable while `role()`. */
function fakes(count: number, missing: number[] = [], role = () => true) {
  const volume = mkdtempSync(join(dir, 'volume-'));
  const localBlob = (storageKey: string) => join(volume, storageKey);
  const ids: number[] = [];
  /** A file committed now, stored here unless `missing`. */
  const store = (id: number, isMissing = false) => {
    ids.push(id);
    if (!isMissing) writeFileSync(localBlob(key(id)), Buffer.alloc(id % 1000));
  };
  for (let id = 1; id <= count; id++) store(id, missing.includes(id));
  const sent: string[] = [];
  const recorded = new Map<string, number>();
  let closed = 0;
  const ok = <T>(value: T) => Promise.resolve(value);
  const shipments: Shipments = {
    writable: () => ok(role()),
    newestId: () => ok(Math.max(0, ...ids)),
    unshipped: (afterId, limit) =>
      ok(
        [...ids]
          .sort((a, b) => a - b)
          .map((id) => ({ id, storageKey: key(id) }))
          .filter((f) => f.id > afterId && !recorded.has(f.storageKey))
          .slice(0, limit),
      ),
    shipped: (storageKey, bytes) => ok(void recorded.set(storageKey, bytes)),
    orphaned: () => ok([]),
    forget: () => ok(undefined),
  };
  const standby: StandbyFiles = {
    name: 'sftp:test',
    send: (_file, name) => ok(void sent.push(name)),
    remove: () => ok(undefined),
    close: () => ok(void (closed += 1)),
  };
  return { shipments, standby, localBlob, store, sent, recorded, closed: () => closed };
}

describe('the file shipper', () => {
  it('stops between pages when the database turns read-only (a failover), and closes the link', async () => {
    let pages = 0;
    const f = fakes(5, [], () => pages++ < 1);
    const shipper = fileShipper({
      ...f,
      log: capturingLogger().log,
      retryMs: 10,
      batch: 2,
    });
    expect(await shipper.round()).toEqual({ primary: true, shipped: 2, removed: 0, deferred: 0 });
    expect(f.sent).toEqual([key(1), key(2)]);
    expect([...f.recorded.values()]).toEqual([1, 2]);
    expect(f.closed()).toBe(1);
  });

  it('backs off each unreadable blob on its own, doubling up to ten minutes, and sends it once it can be read', async () => {
    let clock = 0;
    const f = fakes(3, [2]);
    const { log, lines } = capturingLogger();
    const shipper = fileShipper({ ...f, log, retryMs: 1000, now: () => clock });
    const waits = () =>
      lines.map((line) => (JSON.parse(line) as { retryInMs?: number }).retryInMs).filter(Boolean);
    expect(await shipper.round()).toMatchObject({ shipped: 2, deferred: 1 });
    expect(waits()).toEqual([2000]);
    clock = 1999;
    expect(await shipper.round()).toMatchObject({ shipped: 0, deferred: 1 });
    expect(waits()).toEqual([2000]);
    for (let i = 0; i < 12; i++) {
      clock += 10 * 60_000;
      await shipper.round();
    }
    expect(waits().slice(0, 5)).toEqual([2000, 4000, 8000, 16000, 32000]);
    expect(waits().at(-1)).toBe(10 * 60_000);
    // The blob turns up here after all: sent at its next turn.
    writeFileSync(f.localBlob(key(2)), Buffer.alloc(2));
    clock += 10 * 60_000;
    expect(await shipper.round()).toMatchObject({ shipped: 1, deferred: 0 });
    expect(f.sent).toEqual([key(1), key(3), key(2)]);
  });

  it('looks at the newest files each round, and at every file once per full pass', async () => {
    let clock = 0;
    const f = fakes(0);
    f.store(1);
    f.store(5000);
    const shipper = fileShipper({
      ...f,
      log: capturingLogger().log,
      retryMs: 10,
      now: () => clock,
    });
    expect(await shipper.round()).toMatchObject({ shipped: 2 });
    f.store(4500); // an upload that took its id long ago commits now: within reach of a round
    f.store(3); // one far older (none should be): left to the next full pass
    clock = 59_999;
    expect(await shipper.round()).toMatchObject({ shipped: 1 });
    clock = 60_000;
    expect(await shipper.round()).toMatchObject({ shipped: 1 });
    expect(f.sent).toEqual([key(1), key(5000), key(4500), key(3)]);
  });

  it('ends a round after the blob in flight when stopped', async () => {
    const f = fakes(4);
    let shipper: ReturnType<typeof fileShipper> | null = null;
    const standby = {
      ...f.standby,
      send: async (file: string, name: string) => {
        await f.standby.send(file, name, 0);
        shipper?.stop();
      },
    };
    shipper = fileShipper({
      ...f,
      standby,
      log: capturingLogger().log,
      retryMs: 10,
    });
    expect(await shipper.round()).toMatchObject({ shipped: 1 });
    expect(f.sent).toEqual([key(1)]);
  });
});

describe('the standby settings', () => {
  const base = {
    PARLEY_PUBLIC_URL: 'https://chat.example.com',
    PARLEY_DB_PASSWORD_FILE: join(dir, 'db'),
    PARLEY_SECRET_KEY_FILE: join(dir, 'secret'),
  };
  writeFileSync(base.PARLEY_DB_PASSWORD_FILE, 'password');
  writeFileSync(base.PARLEY_SECRET_KEY_FILE, 'x'.repeat(48));
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env }, { process: 'worker' });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };
  const full = {
    PARLEY_DR_FILES_SFTP_HOST: 'standby.example.net',
    PARLEY_DR_FILES_SFTP_USER: 'parley',
    PARLEY_DR_FILES_SFTP_KEY_FILE: '/run/secrets/dr_files_sftp_key',
    PARLEY_DR_FILES_SFTP_HOST_KEY: `SHA256:${'A'.repeat(43)}`,
    PARLEY_DR_FILES_SFTP_PATH: '/var/lib/parley/uploads/files',
  };

  it('refuse a standby host without a pinned host key (and the rest of the login)', () => {
    expect(problems({ PARLEY_DR_FILES_SFTP_HOST: 'standby.example.net' })).toEqual([
      'PARLEY_DR_FILES_SFTP_HOST_KEY: is required when PARLEY_DR_FILES_SFTP_HOST is set (the standby host key fingerprint, SHA256:… (ssh-keygen -lf))',
      'PARLEY_DR_FILES_SFTP_USER: is required when PARLEY_DR_FILES_SFTP_HOST is set (the SFTP login)',
      'PARLEY_DR_FILES_SFTP_KEY_FILE: is required when PARLEY_DR_FILES_SFTP_HOST is set (the private key file)',
      "PARLEY_DR_FILES_SFTP_PATH: is required when PARLEY_DR_FILES_SFTP_HOST is set (the standby's files directory)",
    ]);
    expect(problems({ ...full, PARLEY_DR_FILES_SFTP_HOST_KEY: 'ab:cd:ef' })).toEqual([
      'PARLEY_DR_FILES_SFTP_HOST_KEY: must be a fingerprint like SHA256:… (ssh-keygen -lf)',
    ]);
  });

  it('take a complete login, and default to shipping off, every second', () => {
    expect(problems(full)).toEqual([]);
    const env = loadConfig(base, { process: 'worker' }).env;
    expect(env.PARLEY_DR_FILES_SFTP_HOST).toBe('');
    expect(env.PARLEY_DR_FILES_SFTP_PORT).toBe(22);
    expect(env.PARLEY_DR_FILES_SHIP_INTERVAL_MS).toBe(1000);
  });
});
