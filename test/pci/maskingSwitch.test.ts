import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';
import { ok, send, sockets, type Sockets } from './helpers.ts';

let t: TestParley;
let db: Db;
let s: Sockets;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley();
  s = sockets(t, db);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));
afterEach(() => s.close());

async function chatIn(departmentId: number) {
  const agent = await s.agent('admin');
  const visitor = await s.visitor();
  const { chat } = ok(await visitor.emitWithAck('chat:start', {}));
  await db('chats').where({ id: chat.id }).update({ department_id: departmentId });
  ok(await agent.socket.emitWithAck('chat:accept', { chatId: chat.id }));
  return { visitor, chatId: chat.id, agent };
}

const put = (cookie: string, departmentId: number, body: unknown) =>
  t
    .http()
    .put(`/api/departments/${departmentId}/card-masking`)
    .set('Cookie', cookie)
    .set('Origin', TEST_ORIGIN)
    .send(body as object);

describe('card masking per department (issue 6)', () => {
  it('is on by default; an admin can keep the last four only, or switch it off, and each change is audited', async () => {
    const [sales] = await db('departments').insert({ name: 'Sales', description: '' });
    const departmentId = Number(sales);
    const { agent: admin, password } = await createAgent(db, { role: 'admin' });
    const cookie = await signIn(t, admin.email, password);
    const { visitor, chatId } = await chatIn(departmentId);

    expect(ok(await send(visitor, chatId, 'card 4111 1111 1111 1111')).message.body).toBe(
      'card 4111 11•• •••• 1111',
    );
    const listed = await t.http().get('/api/card-masking').set('Cookie', cookie).expect(200);
    expect(listed.body.departments).toEqual([
      { departmentId, name: 'Sales', mask: true, keep: 'first6_last4' },
    ]);

    await put(cookie, departmentId, { mask: true, keep: 'last4' }).expect(200);
    expect(ok(await send(visitor, chatId, 'card 4111 1111 1111 1111')).message.body).toBe(
      'card •••• •••• •••• 1111',
    );

    await put(cookie, departmentId, { mask: false, keep: 'last4' }).expect(200);
    expect(ok(await send(visitor, chatId, 'card 4111 1111 1111 1111 cvv 123')).message.body).toBe(
      'card 4111 1111 1111 1111 cvv [removed]',
    );

    const audit = await db('audit_events')
      .where({ action: 'department.card_masking' })
      .orderBy('id')
      .select('outcome', 'department_id', 'details');
    expect(audit).toHaveLength(2);
    expect(
      audit.every((row) => row.outcome === 'success' && row.department_id === departmentId),
    ).toBe(true);
  });

  it('is changed only by someone who manages security, with a valid body, for a department that exists', async () => {
    const [sales] = await db('departments').insert({ name: 'Sales', description: '' });
    const { agent, password } = await createAgent(db, { role: 'agent' });
    const agentCookie = await signIn(t, agent.email, password);
    await put(agentCookie, Number(sales), { mask: false, keep: 'last4' }).expect(403);
    const { agent: admin, password: adminPassword } = await createAgent(db, { role: 'admin' });
    const cookie = await signIn(t, admin.email, adminPassword);
    const bad = await put(cookie, Number(sales), { mask: 'no', keep: 'all' }).expect(400);
    expect(bad.body.error.id).toBe('invalid_input');
    await put(cookie, 999_999, { mask: false, keep: 'last4' }).expect(404);
    await t
      .http()
      .put(`/api/departments/${Number(sales)}/card-masking`)
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.example')
      .send({ mask: false, keep: 'last4' })
      .expect(403);
    expect(await db('audit_events').where({ action: 'department.card_masking' })).toHaveLength(0);
  });
});
