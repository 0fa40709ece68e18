import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { agentWith, auditOf, chatIn, departments, role } from './helpers.ts';

// Deleting a transcript (issue 14): transcripts.delete within the grant's departments; the chat
// row, its messages, its files' rows and their bytes on the files volume go; refused under a legal
// hold and for a chat not ended; audited with the chat id and counts, never the content.

const filesDir = mkdtempSync(join(tmpdir(), 'parley-delete-'));
let t: TestParley;
let db: Db;
let cards: number;
let loans: number;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false', PARLEY_FILES_DIR: filesDir });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  for (const name of readdirSync(join(filesDir, 'store'))) rmSync(join(filesDir, 'store', name));
  ({ cards, loans } = await departments(db));
  await role(db, 'cards_records', [
    { permission: 'transcripts.delete', scope: 'departments', ids: [cards] },
  ]);
});

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const stored = () => readdirSync(join(filesDir, 'store'));

/** An ended chat in a department with two messages and a file its agent shared. */
async function endedChatWithFile(departmentId: number) {
  const handler = await agentWith(t, db, 'agent');
  const { chatId, visitorId } = await chatIn(db, departmentId, {
    agentId: handler.agent.id,
    status: 'active',
    visitorName: 'Ada Visitor',
  });
  const upload = await t
    .http()
    .post(`/api/chats/${chatId}/files`)
    .set('Origin', TEST_ORIGIN)
    .set('Cookie', handler.cookie)
    .set('Content-Type', 'application/octet-stream')
    .set('X-Parley-File-Name', 'statement.png')
    .send(PNG);
  expect(upload.status).toBe(201);
  await db('messages').insert({
    chat_id: chatId,
    seq: 2,
    client_id: `c-${chatId}`,
    author_kind: 'visitor',
    body: 'my secret account question',
  });
  await db('chats')
    .where({ id: chatId })
    .update({ status: 'ended', ended_at: new Date(), last_seq: 2 });
  return { chatId, visitorId };
}

const rowsOf = async (chatId: number) => ({
  chats: Number((await db('chats').where({ id: chatId }).count({ n: '*' }).first())!.n),
  messages: Number((await db('messages').where({ chat_id: chatId }).count({ n: '*' }).first())!.n),
  files: Number((await db('files').where({ chat_id: chatId }).count({ n: '*' }).first())!.n),
});

describe('deleting a transcript', () => {
  it('removes the chat, its messages, its files and their bytes; the audit keeps only the id', async () => {
    const { chatId } = await endedChatWithFile(cards);
    expect(stored()).toHaveLength(1);
    expect(await rowsOf(chatId)).toEqual({ chats: 1, messages: 2, files: 1 });
    const records = await agentWith(t, db, 'cards_records');

    const deleted = await records.as.delete(`/api/transcripts/${chatId}`).expect(200);
    expect(deleted.body).toEqual({ deleted: { messages: 2, files: 1 } });
    expect(await rowsOf(chatId)).toEqual({ chats: 0, messages: 0, files: 0 });
    expect(stored()).toEqual([]);

    const [entry] = await auditOf(db, 'transcript.delete');
    expect(entry).toMatchObject({
      actor_id: records.agent.id,
      target_kind: 'chat',
      target_id: String(chatId),
      department_id: cards,
      outcome: 'success',
    });
    // The entry names the chat and counts; never a message, a file name or the visitor.
    expect(entry.details).toEqual({ messages: 2, files: 1 });
    for (const content of ['secret account', 'statement.png', 'Ada Visitor'])
      expect(JSON.stringify(entry)).not.toContain(content);
    // Gone for good: a second delete and a read find nothing.
    await records.as.delete(`/api/transcripts/${chatId}`).expect(404);
    const admin = await agentWith(t, db, 'admin');
    await admin.as.get(`/api/transcripts/${chatId}`).expect(404);
  });

  it('is denied without transcripts.delete, and outside the grant’s departments', async () => {
    const inLoans = await endedChatWithFile(loans);
    const plain = await agentWith(t, db, 'agent', [loans]);
    const denied = await plain.as.delete(`/api/transcripts/${inLoans.chatId}`).expect(403);
    expect(denied.body.error.id).toBe('forbidden');
    expect(denied.body.error.message).toContain('transcripts.delete');

    const records = await agentWith(t, db, 'cards_records', [loans]);
    const outside = await records.as.delete(`/api/transcripts/${inLoans.chatId}`).expect(404);
    expect(outside.body.error.id).toBe('not_found');
    expect(await rowsOf(inLoans.chatId)).toEqual({ chats: 1, messages: 2, files: 1 });
    expect(stored()).toHaveLength(1);
    const [refusal] = await auditOf(db, 'transcript.delete');
    expect(refusal).toMatchObject({ outcome: 'failure', target_id: String(inLoans.chatId) });

    // Not from another site (the session cookie alone is not enough).
    const admin = await agentWith(t, db, 'admin');
    const crossSite = await t
      .http()
      .delete(`/api/transcripts/${inLoans.chatId}`)
      .set('Cookie', admin.cookie)
      .set('Origin', 'https://evil.example')
      .expect(403);
    expect(crossSite.body.error.id).toBe('origin_not_allowed');
    expect(await rowsOf(inLoans.chatId)).toEqual({ chats: 1, messages: 2, files: 1 });
  });

  it('is refused under a legal hold on the chat or on its visitor, with a clear error', async () => {
    const records = await agentWith(t, db, 'cards_records');
    const held = await endedChatWithFile(cards);
    await db('chats')
      .where({ id: held.chatId })
      .update({ legal_hold: 1, legal_hold_reason: 'case 7' });
    const refused = await records.as.delete(`/api/transcripts/${held.chatId}`).expect(409);
    expect(refused.body.error.id).toBe('legal_hold');
    expect(refused.body.error.message).toMatch(/legal hold.*lift the hold/);
    expect(await rowsOf(held.chatId)).toEqual({ chats: 1, messages: 2, files: 1 });

    const visitorHeld = await chatIn(db, cards);
    await db('visitors').where({ id: visitorHeld.visitorId }).update({ legal_hold: 1 });
    expect(
      (await records.as.delete(`/api/transcripts/${visitorHeld.chatId}`).expect(409)).body.error.id,
    ).toBe('legal_hold');
    expect((await rowsOf(visitorHeld.chatId)).chats).toBe(1);
    expect(stored()).toHaveLength(1);

    const entries = await auditOf(db, 'transcript.delete');
    expect(
      entries.map((e: Record<string, unknown>) => [e.outcome, e.target_id, e.details]),
    ).toEqual([
      ['failure', String(held.chatId), { reason: 'legal_hold' }],
      ['failure', String(visitorHeld.chatId), { reason: 'legal_hold' }],
    ]);

    // Once the hold is lifted it can be deleted.
    await db('chats').where({ id: held.chatId }).update({ legal_hold: 0 });
    await records.as.delete(`/api/transcripts/${held.chatId}`).expect(200);
    expect(stored()).toEqual([]);
  });

  it('is refused for a chat that has not ended', async () => {
    const records = await agentWith(t, db, 'cards_records');
    for (const status of ['queued', 'active'] as const) {
      const { chatId } = await chatIn(db, cards, { status });
      const refused = await records.as.delete(`/api/transcripts/${chatId}`).expect(409);
      expect(refused.body.error.id).toBe('chat_not_ended');
      expect((await rowsOf(chatId)).chats).toBe(1);
    }
  });
});
