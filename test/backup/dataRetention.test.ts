import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { runDataRetention } from '../../backup/retention/dataRetention.ts';
import { testDb, truncateAll } from '../harness/db.ts';

let db: Db;
const now = new Date('2026-11-21T12:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * 86400_000);
const blobs = mkdtempSync(join(tmpdir(), 'parley-retention-'));

async function visitor(id: string, hold = 0, lastSeen = daysAgo(1)): Promise<string> {
  await db('visitors').insert({
    id,
    legal_hold: hold,
    last_seen_at: lastSeen,
    created_at: lastSeen,
  });
  return id;
}

async function chat(
  visitorId: string,
  endedDaysAgo: number,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const [id] = await db('chats').insert({
    visitor_id: visitorId,
    status: 'ended',
    created_at: daysAgo(endedDaysAgo + 1),
    ended_at: daysAgo(endedDaysAgo),
    ...extra,
  });
  for (let seq = 1; seq <= 7; seq++) {
    await db('messages').insert({
      chat_id: id,
      seq,
      client_id: `m${id}-${seq}`,
      author_kind: 'visitor',
      body: 'hi',
    });
  }
  return id!;
}

async function file(chatId: number): Promise<string> {
  const key = `${String(chatId).padStart(8, '0')}${'a'.repeat(24)}`;
  await db('files').insert({
    chat_id: chatId,
    uploader_kind: 'visitor',
    name: 'x.pdf',
    size: 1,
    type: 'application/pdf',
    storage_key: key,
    wrapped_key: Buffer.alloc(60),
    iv: Buffer.alloc(12),
    tag: Buffer.alloc(16),
    scanner: 'test',
  });
  writeFileSync(join(blobs, key), 'x');
  return key;
}

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await db.raw('DELETE FROM files');
});

afterAll(async () => {
  await db.destroy();
});

describe('data retention', () => {
  it('deletes exactly the expired chats, messages, files and visitors, in batches, sparing legal holds', async () => {
    const [dept] = await db('departments').insert({ name: 'Short retention' });
    const plain = await visitor('00000000-0000-0000-0000-000000000001');
    const held = await visitor('00000000-0000-0000-0000-000000000002', 1, daysAgo(400));
    const gone = await visitor('00000000-0000-0000-0000-000000000003', 0, daysAgo(400));
    await visitor('00000000-0000-0000-0000-000000000004', 1, daysAgo(400));
    await db('departments').where({ id: dept }).update({ retention_days: 10 });
    const expired = [
      await chat(plain, 100),
      await chat(plain, 91),
      await chat(plain, 20, { department_id: dept }),
    ];
    const kept = [
      await chat(plain, 100, { legal_hold: 1 }),
      await chat(held, 100),
      await chat(plain, 89),
      await chat(plain, 5, { department_id: dept }),
      await chat(plain, 100, { status: 'active', ended_at: null }),
    ];
    const expiredBlob = await file(expired[0]!);
    const keptBlob = await file(kept[0]!);

    const counts = await runDataRetention(
      db,
      { chatDays: 90, visitorDays: 365, batch: 2, now: () => now },
      (key) => rm(join(blobs, key)),
    );
    expect(counts).toEqual({ chats: 3, messages: 21, files: 1, visitors: 1 });
    expect((await db('chats').pluck('id')).map(Number).sort((a, b) => a - b)).toEqual(kept);
    expect(await db('messages').whereIn('chat_id', expired).count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await db('messages').whereIn('chat_id', kept).count({ n: '*' })).toEqual([{ n: 35 }]);
    expect(existsSync(join(blobs, expiredBlob))).toBe(false);
    expect(existsSync(join(blobs, keptBlob))).toBe(true);
    expect(await db('visitors').where({ id: gone }).first()).toBeUndefined();
    expect(await db('visitors').count({ n: '*' })).toEqual([{ n: 3 }]);

    const again = await runDataRetention(
      db,
      { chatDays: 90, visitorDays: 365, batch: 2, now: () => now },
      () => Promise.reject(new Error('nothing to remove')),
    );
    expect(again).toEqual({ chats: 0, messages: 0, files: 0, visitors: 0 });
  });

  it('keeps everything when the policy is 0 days', async () => {
    const before = await db('chats').count({ n: '*' });
    const counts = await runDataRetention(
      db,
      { chatDays: 0, visitorDays: 0, batch: 100, now: () => now },
      async () => {},
    );
    expect(counts).toEqual({ chats: 0, messages: 0, files: 0, visitors: 0 });
    expect(await db('chats').count({ n: '*' })).toEqual(before);
  });
});
