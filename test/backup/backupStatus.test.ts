import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-status-'));
let t: TestParley;
let db: Db;
let admin: string;
let plain: string;

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false', PARLEY_BACKUP_DIR: dir });
  const a = await createAgent(db, { role: 'admin' });
  const p = await createAgent(db, { role: 'agent' });
  admin = await signIn(t, a.agent.email, a.password);
  plain = await signIn(t, p.agent.email, p.password);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
});

const status = (cookie: string, expected = 200) =>
  t.http().get('/api/backups/status').set('Cookie', cookie).expect(expected);

describe('GET /api/backups/status (issue 7)', () => {
  it('needs security.manage', async () => {
    await t.http().get('/api/backups/status').expect(401);
    await status(plain, 403);
  });

  it('says when there is no backup yet', async () => {
    const res = await status(admin);
    expect(res.body).toEqual({
      lastBackup: null,
      backups: 0,
      lastDrill: null,
      offsite: null,
      alerts: ['no backup yet'],
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('shows the newest backup, the last drill and the offsite copies with their alerts', async () => {
    writeFileSync(join(dir, 'parley-20261120T030000Z.tar.gz.gpg'), 'old');
    writeFileSync(join(dir, 'parley-20261121T030000Z.tar.gz.gpg'), 'newest!');
    writeFileSync(join(dir, 'parley-20261121T030000Z.tar.gz.gpg.sha256'), 'x');
    writeFileSync(join(dir, '.parley-20261121T040000Z.tmp'), 'partial');
    const drill = {
      at: '2026-11-21T04:00:00.000Z',
      backup: 'parley-20261121T030000Z.tar.gz.gpg',
      ok: true,
      tables: 23,
      rows: 1200,
      files: 4,
    };
    writeFileSync(join(dir, 'drill-status.json'), JSON.stringify(drill));
    writeFileSync(
      join(dir, 'offsite-status.json'),
      JSON.stringify({
        at: '2026-11-21T03:01:00.000Z',
        backup: 'parley-20261121T030000Z.tar.gz.gpg',
        results: [
          { target: 'dir:/mnt/nas', ok: true, attempts: 1 },
          { target: 'sftp:backup@vault', ok: false, attempts: 5, error: 'connect ECONNREFUSED' },
        ],
      }),
    );
    const res = await status(admin);
    expect(res.body).toEqual({
      lastBackup: {
        name: 'parley-20261121T030000Z.tar.gz.gpg',
        at: '2026-11-21T03:00:00.000Z',
        bytes: 7,
      },
      backups: 2,
      lastDrill: drill,
      offsite: {
        at: '2026-11-21T03:01:00.000Z',
        backup: 'parley-20261121T030000Z.tar.gz.gpg',
        targets: [
          { target: 'dir:/mnt/nas', ok: true, attempts: 1 },
          { target: 'sftp:backup@vault', ok: false, attempts: 5, error: 'connect ECONNREFUSED' },
        ],
      },
      alerts: [
        'offsite sftp:backup@vault: copy of parley-20261121T030000Z.tar.gz.gpg failed after 5 attempts (connect ECONNREFUSED)',
      ],
    });
  });

  it('alerts on a failed drill', async () => {
    writeFileSync(
      join(dir, 'drill-status.json'),
      JSON.stringify({
        at: '2026-11-21T04:00:00.000Z',
        backup: null,
        ok: false,
        error: 'bad signature',
      }),
    );
    const res = await status(admin);
    expect(res.body.alerts).toContain('last restore drill failed: bad signature');
  });

  it('rejects unknown query parameters', async () => {
    await t.http().get('/api/backups/status?x=1').set('Cookie', admin).expect(400);
  });
});
