import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { agentWith, chatIn, departments, role } from '../canned/helpers.ts';

// The permission matrix for canned messages, notification settings and transcript deletion
// (issue 14): each allowed and denied, across departments (A = Cards, B = Loans).

let t: TestParley;
let db: Db;
let a: number;
let b: number;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  ({ cards: a, loans: b } = await departments(db));
  await role(db, 'canned_a', [
    { permission: 'canned_messages.manage', scope: 'departments', ids: [a] },
  ]);
  await role(db, 'canned_all', [{ permission: 'canned_messages.manage' }]);
  await role(db, 'delete_a', [
    { permission: 'transcripts.delete', scope: 'departments', ids: [a] },
  ]);
  await role(db, 'delete_all', [{ permission: 'transcripts.delete' }]);
  await role(db, 'nobody', []);
});

const canned = (scope: string, departmentId: number | null, shortcut: string) => ({
  scope,
  departmentId,
  title: shortcut,
  text: shortcut,
  shortcut,
});

describe('canned_messages.manage', () => {
  it.each([
    ['canned_a', 'department', 'A', 201],
    ['canned_a', 'department', 'B', 403],
    ['canned_a', 'global', null, 403],
    ['canned_all', 'department', 'B', 201],
    ['canned_all', 'global', null, 201],
    ['nobody', 'department', 'A', 403],
    ['nobody', 'global', null, 403],
    ['agent', 'department', 'A', 403],
    ['nobody', 'personal', null, 201],
  ] as const)('%s creating a %s message in %s: %i', async (roleName, scope, where, status) => {
    const who = await agentWith(t, db, roleName, [a, b]);
    const departmentId = where === 'A' ? a : where === 'B' ? b : null;
    const res = await who.as.post('/api/canned-messages', canned(scope, departmentId, 'x'));
    expect([res.status, res.body.error?.id]).toEqual([
      status,
      status === 403 ? 'forbidden' : undefined,
    ]);
    expect(await db('canned_messages').count({ n: '*' }).first()).toEqual({
      n: status === 201 ? 1 : 0,
    });
  });

  it('gates the managers’ list; every canned route needs a session', async () => {
    await (await agentWith(t, db, 'canned_a')).as.get('/api/canned-messages/managed').expect(200);
    await (await agentWith(t, db, 'nobody')).as.get('/api/canned-messages/managed').expect(403);
    await t.http().get('/api/canned-messages').expect(401);
    await t.http().get('/api/canned-messages/managed').expect(401);
    await t
      .http()
      .post('/api/canned-messages')
      .send(canned('personal', null, 'x'))
      .expect(401);
    await t.http().patch('/api/canned-messages/1').send({ title: 'x' }).expect(401);
    await t.http().delete('/api/canned-messages/1').expect(401);
  });

  it('edits and deletes a department message only within the grant’s departments', async () => {
    const all = await agentWith(t, db, 'canned_all');
    const inB = (
      await all.as.post('/api/canned-messages', canned('department', b, 'b')).expect(201)
    ).body.cannedMessage.id;
    const inA = (
      await all.as.post('/api/canned-messages', canned('department', a, 'a')).expect(201)
    ).body.cannedMessage.id;
    const scoped = await agentWith(t, db, 'canned_a');
    await scoped.as.patch(`/api/canned-messages/${inB}`, { title: 'no' }).expect(403);
    await scoped.as.delete(`/api/canned-messages/${inB}`).expect(403);
    await scoped.as.patch(`/api/canned-messages/${inA}`, { title: 'yes' }).expect(200);
    await scoped.as.delete(`/api/canned-messages/${inA}`).expect(204);
  });
});

describe('transcripts.delete', () => {
  it.each([
    ['delete_a', 'A', 200, undefined],
    ['delete_a', 'B', 404, 'not_found'],
    ['delete_all', 'B', 200, undefined],
    ['nobody', 'A', 403, 'forbidden'],
    ['agent', 'A', 403, 'forbidden'],
  ] as const)('%s deleting an ended chat of %s: %i', async (roleName, where, status, id) => {
    const { chatId } = await chatIn(db, where === 'A' ? a : b);
    const who = await agentWith(t, db, roleName, [a, b]);
    const res = await who.as.delete(`/api/transcripts/${chatId}`);
    expect([res.status, res.body.error?.id]).toEqual([status, id]);
    expect(await db('chats').where({ id: chatId }).count({ n: '*' }).first()).toEqual({
      n: status === 200 ? 0 : 1,
    });
  });
});

describe('notification settings (signedIn, own only)', () => {
  it('answers a signed-in agent and refuses anyone else', async () => {
    const who = await agentWith(t, db, 'nobody');
    await who.as.get('/api/agent/notification-settings').expect(200);
    await t.http().get('/api/agent/notification-settings').expect(401);
  });
});
