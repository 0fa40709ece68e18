import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { agentWith, auditOf, chatIn, departments, role } from './helpers.ts';

// Canned messages over HTTP (issue 14): personal ones are their owner's alone; department ones need
// canned_messages.manage over that department, global ones over everything; a shortcut is unique
// within its scope; what a chat offers follows its department; text is masked; changes are audited.

let t: TestParley;
let db: Db;
let cards: number;
let loans: number;

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
  ({ cards, loans } = await departments(db));
  await role(db, 'cards_lead', [
    { permission: 'canned_messages.manage', scope: 'departments', ids: [cards] },
    { permission: 'chats.accept', scope: 'departments', ids: [cards] },
  ]);
  await role(db, 'content', [{ permission: 'canned_messages.manage', scope: 'all' }]);
});

const base = '/api/canned-messages';
const message = (shortcut: string, extra: object = {}) => ({
  scope: 'personal',
  title: `Title ${shortcut}`,
  text: `Text of ${shortcut}`,
  shortcut,
  ...extra,
});

describe('personal canned messages', () => {
  it('any agent keeps their own; nobody else sees, edits or deletes them', async () => {
    const ann = await agentWith(t, db, 'agent');
    const bob = await agentWith(t, db, 'agent');
    const created = await ann.as.post(base, message('#Mine')).expect(201);
    const id = created.body.cannedMessage.id as number;
    expect(created.body.cannedMessage).toMatchObject({ scope: 'personal', shortcut: 'mine' });

    expect((await ann.as.get(base).expect(200)).body.cannedMessages).toHaveLength(1);
    expect((await bob.as.get(base).expect(200)).body.cannedMessages).toEqual([]);
    expect(
      (await bob.as.patch(`${base}/${id}`, { title: 'taken over' }).expect(404)).body.error.id,
    ).toBe('not_found');
    expect((await bob.as.delete(`${base}/${id}`).expect(404)).body.error.id).toBe('not_found');

    const edited = await ann.as.patch(`${base}/${id}`, { text: 'Hello {visitor.name|there}' });
    expect(edited.status).toBe(200);
    expect(edited.body.cannedMessage.text).toBe('Hello {visitor.name|there}');
    await ann.as.delete(`${base}/${id}`).expect(204);
    expect((await ann.as.get(base).expect(200)).body.cannedMessages).toEqual([]);
    expect(
      (await auditOf(db, 'canned_message.delete')).map((e: { target_id: string }) => e.target_id),
    ).toEqual([String(id)]);
  });

  it('is refused without a session and for a body that is not the schema', async () => {
    await t.http().get(base).expect(401);
    const ann = await agentWith(t, db, 'agent');
    for (const bad of [
      message('two words'),
      message('semi;colon'),
      message('x'.repeat(33)),
      { ...message('ok'), extra: true },
      { ...message('ok'), title: '' },
      { ...message('ok'), scope: 'everyone' },
    ])
      expect((await ann.as.post(base, bad).expect(400)).body.error.id).toBe('invalid_input');
  });
});

describe('department and global canned messages', () => {
  it("need canned_messages.manage over the message's department, or over everything for global", async () => {
    const plain = await agentWith(t, db, 'agent', [cards]);
    const lead = await agentWith(t, db, 'cards_lead', [cards]);
    const content = await agentWith(t, db, 'content');
    const inCards = message('cards', { scope: 'department', departmentId: cards });
    const inLoans = message('loans', { scope: 'department', departmentId: loans });
    const global = message('hello', { scope: 'global' });

    const denied = await plain.as.post(base, inCards).expect(403);
    expect(denied.body.error).toMatchObject({ id: 'forbidden' });
    expect(denied.body.error.message).toContain('canned_messages.manage');
    await plain.as.post(base, global).expect(403);
    const created = await lead.as.post(base, inCards).expect(201);
    expect(created.body.cannedMessage).toMatchObject({
      departmentId: cards,
      departmentName: 'Cards',
    });
    await lead.as.post(base, inLoans).expect(403);
    await lead.as.post(base, global).expect(403);
    await content.as.post(base, inLoans).expect(201);
    await content.as.post(base, global).expect(201);
    expect(
      (await content.as.post(base, { ...inCards, departmentId: null }).expect(400)).body.error.id,
    ).toBe('invalid_input');

    // Editing and deleting follow the same scope.
    const cardsId = created.body.cannedMessage.id as number;
    const loansId = (await db('canned_messages').where({ shortcut: 'loans' }).first()).id;
    await plain.as.patch(`${base}/${cardsId}`, { title: 'no' }).expect(403);
    await plain.as.delete(`${base}/${cardsId}`).expect(403);
    await lead.as.patch(`${base}/${loansId}`, { title: 'no' }).expect(403);
    await lead.as.delete(`${base}/${loansId}`).expect(403);
    await lead.as.patch(`${base}/${cardsId}`, { title: 'Card lost' }).expect(200);
    await content.as.delete(`${base}/${cardsId}`).expect(204);

    // The managers' list: what each may manage, and where they may add.
    const leadList = (await lead.as.get(`${base}/managed`).expect(200)).body;
    expect(leadList).toMatchObject({ global: false, departments: [{ id: cards, name: 'Cards' }] });
    expect(leadList.cannedMessages).toEqual([]);
    const contentList = (await content.as.get(`${base}/managed`).expect(200)).body;
    expect(contentList.global).toBe(true);
    expect(contentList.cannedMessages.map((m: { shortcut: string }) => m.shortcut)).toEqual([
      'hello',
      'loans',
    ]);
    expect((await plain.as.get(`${base}/managed`).expect(403)).body.error.id).toBe('forbidden');
  });

  it('audits each change with the department, and never the text', async () => {
    const lead = await agentWith(t, db, 'cards_lead', [cards]);
    const secret = 'Internal wording only';
    const { id } = (
      await lead.as.post(
        base,
        message('lost', { scope: 'department', departmentId: cards, text: secret }),
      )
    ).body.cannedMessage;
    await lead.as.patch(`${base}/${id}`, { text: `${secret} v2` }).expect(200);
    await lead.as.delete(`${base}/${id}`).expect(204);
    for (const action of [
      'canned_message.create',
      'canned_message.update',
      'canned_message.delete',
    ]) {
      const [entry] = await auditOf(db, action);
      expect(entry, action).toMatchObject({
        actor_id: lead.agent.id,
        target_kind: 'canned_message',
        target_id: String(id),
        department_id: cards,
        outcome: 'success',
      });
      expect(JSON.stringify(entry.details)).not.toContain('Internal wording');
      expect(JSON.stringify(entry.details)).toContain('lost');
    }
  });
});

describe('shortcuts', () => {
  it('are unique within a scope (whatever the case), free across scopes', async () => {
    const content = await agentWith(t, db, 'content');
    const ann = await agentWith(t, db, 'agent');
    await content.as.post(base, message('greet', { scope: 'global' })).expect(201);
    const taken = await content.as.post(base, message('GREET', { scope: 'global' })).expect(409);
    expect(taken.body.error.id).toBe('shortcut_taken');
    expect(taken.body.error.message).toContain('#greet');
    // Another scope: a department's, and each agent's own.
    await content.as
      .post(base, message('greet', { scope: 'department', departmentId: cards }))
      .expect(201);
    await content.as
      .post(base, message('greet', { scope: 'department', departmentId: loans }))
      .expect(201);
    await content.as.post(base, message('greet')).expect(201);
    await ann.as.post(base, message('greet')).expect(201);
    await ann.as.post(base, message('#Greet')).expect(409);
    // Renaming onto a taken shortcut is refused the same way.
    const other = (await ann.as.post(base, message('bye')).expect(201)).body.cannedMessage.id;
    expect(
      (await ann.as.patch(`${base}/${other}`, { shortcut: 'greet' }).expect(409)).body.error.id,
    ).toBe('shortcut_taken');
    expect(await db('canned_messages').count({ n: '*' }).first()).toEqual({ n: 6 });
  });
});

describe('what a chat offers', () => {
  it("follows the chat's department: Cards' and global and mine, never Loans'", async () => {
    const content = await agentWith(t, db, 'content');
    const desk = await agentWith(t, db, 'cards_lead', [cards], 'Dee Desk');
    await content.as
      .post(base, message('cards', { scope: 'department', departmentId: cards }))
      .expect(201);
    await content.as
      .post(base, message('loans', { scope: 'department', departmentId: loans }))
      .expect(201);
    await content.as.post(base, message('hello', { scope: 'global' })).expect(201);
    await content.as.post(base, message('theirs')).expect(201); // content's own, not the desk's
    await desk.as.post(base, message('mine')).expect(201);

    const inCards = await chatIn(db, cards, { agentId: desk.agent.id, status: 'active' });
    const offered = (await desk.as.get(`${base}?chatId=${inCards.chatId}`).expect(200)).body;
    expect(offered.cannedMessages.map((m: { shortcut: string }) => m.shortcut)).toEqual([
      'cards',
      'hello',
      'mine',
    ]);
    expect(offered.department).toEqual({ id: cards, name: 'Cards' });

    // A chat of no department: global and personal ones only.
    const none = await chatIn(db, null, { agentId: desk.agent.id, status: 'active' });
    const plain = (await desk.as.get(`${base}?chatId=${none.chatId}`).expect(200)).body;
    expect(plain.cannedMessages.map((m: { shortcut: string }) => m.shortcut)).toEqual([
      'hello',
      'mine',
    ]);
    expect(plain.department).toBeNull();

    // A chat the agent may not see (another's, in Loans) offers nothing: the chat's usual 404.
    const inLoans = await chatIn(db, loans, { agentId: content.agent.id, status: 'active' });
    expect((await desk.as.get(`${base}?chatId=${inLoans.chatId}`).expect(404)).body.error.id).toBe(
      'chat_not_found',
    );
    // Without a chat: mine, global, and my departments' (the desk is in Cards).
    const mineList = (await desk.as.get(base).expect(200)).body;
    expect(mineList.cannedMessages.map((m: { shortcut: string }) => m.shortcut)).toEqual([
      'cards',
      'hello',
      'mine',
    ]);
  });
});

describe('masking', () => {
  it('stores and answers title and text with card numbers masked', async () => {
    const ann = await agentWith(t, db, 'agent');
    const card = '4111 1111 1111 1111';
    const created = await ann.as
      .post(base, message('card', { title: `Card ${card}`, text: `Your card ${card} is blocked` }))
      .expect(201);
    expect(created.body.cannedMessage.text).not.toContain('1111 1111 1111');
    expect(created.body.cannedMessage.text).toMatch(/•/);
    const row = await db('canned_messages').where({ id: created.body.cannedMessage.id }).first();
    expect(`${row.title} ${row.body}`).not.toMatch(/4111\s?1111\s?1111\s?1111/);
    expect(row.body).toMatch(/Your card .*•.* is blocked/);
    const edited = await ann.as
      .patch(`${base}/${created.body.cannedMessage.id}`, { text: `new ${card}` })
      .expect(200);
    expect(edited.body.cannedMessage.text).not.toContain('1111 1111 1111');
  });
});
