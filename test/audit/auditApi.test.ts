import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, type AuditEntry } from '../../app/domain/audit/auditLog.ts';
import type { AuditEventView, AuditSearchResponse } from '../../app/shared/audit.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';
import { auditTampering } from './tampering.ts';

let t: TestParley;
let db: Db;
beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});

interface World {
  admin: string;
  scoped: string;
  plain: string;
  sales: number;
  support: number;
  adminId: number;
}
let world: World;

/** Records an entry at a given time, through the real writer. */
async function recordAt(at: string, entry: Partial<AuditEntry>): Promise<void> {
  await auditLog(db, { now: () => new Date(at) }).record({
    actor: { kind: 'agent', id: 900, label: 'carol@example.test' },
    action: 'demo.other',
    outcome: 'success',
    ...entry,
  });
}

beforeEach(async () => {
  await truncateAll(db);
  const [sales] = await db('departments').insert({ name: 'Sales' });
  const [support] = await db('departments').insert({ name: 'Support' });
  const admin = await createAgent(db, { role: 'admin' });
  const scoped = await createAgent(db, { role: 'agent' });
  const plain = await createAgent(db, { role: 'agent' });
  await db('permission_grants').insert({
    permission: 'audit.view',
    agent_id: scoped.agent.id,
    scope: 'departments',
    scope_ids: JSON.stringify([sales]),
  });
  await recordAt('2026-11-01T09:00:00.000Z', {
    actor: { kind: 'agent', id: 901, label: 'ann@example.test' },
    action: 'demo.agent.create',
    target: { kind: 'agent', id: 31 },
    departmentId: sales,
    details: { name: 'Zoë Quinn', role: 'agent' },
  });
  await recordAt('2026-11-02T09:00:00.000Z', {
    actor: { kind: 'agent', id: 902, label: 'bob@example.test' },
    action: 'demo.agent.update',
    outcome: 'failure',
    target: { kind: 'agent', id: 32 },
    departmentId: support,
    ip: '198.51.100.7',
    details: { reason: 'Duplicate EMAIL' },
  });
  await recordAt('2026-11-03T09:00:00.000Z', {
    action: 'demo.chat.accept',
    outcome: 'denied',
    target: { kind: 'chat', id: 77 },
    departmentId: sales,
  });
  await recordAt('2026-11-04T09:00:00.000Z', { action: 'demo.signin', departmentId: null });
  world = {
    admin: await signIn(t, admin.agent.email, admin.password),
    scoped: await signIn(t, scoped.agent.email, scoped.password),
    plain: await signIn(t, plain.agent.email, plain.password),
    sales: Number(sales),
    support: Number(support),
    adminId: admin.agent.id,
  };
});

async function search(
  cookie: string,
  query: Record<string, string | number>,
  status = 200,
): Promise<AuditSearchResponse> {
  const res = await t.http().get('/api/audit').query(query).set('Cookie', cookie).expect(status);
  return res.body as AuditSearchResponse;
}
const actions = (body: AuditSearchResponse) => body.entries.map((entry) => entry.action);

describe('searching the audit log', () => {
  it('needs a session and the audit.view permission', async () => {
    await t.http().get('/api/audit').expect(401);
    for (const path of ['/api/audit', '/api/audit/export?format=csv', '/api/audit/verify']) {
      const res = await t.http().get(path).set('Cookie', world.plain).expect(403);
      expect(res.body.error.id).toBe('forbidden');
    }
  });

  it('returns entries newest first, without their hashes', async () => {
    const body = await search(world.admin, { action: 'demo.' });
    expect(actions(body)).toEqual([
      'demo.signin',
      'demo.chat.accept',
      'demo.agent.update',
      'demo.agent.create',
    ]);
    const oldest = body.entries.at(-1)!;
    expect(oldest).toEqual({
      id: expect.any(Number),
      at: '2026-11-01T09:00:00.000Z',
      actor: { kind: 'agent', id: 901, label: 'ann@example.test' },
      ip: '',
      userAgent: '',
      action: 'demo.agent.create',
      target: { kind: 'agent', id: '31' },
      departmentId: world.sales,
      outcome: 'success',
      details: { name: 'Zoë Quinn', role: 'agent' },
      hash: expect.stringMatching(/^[0-9a-f]{12}$/),
    } satisfies AuditEventView);
    expect(JSON.stringify(body)).not.toMatch(/prev_?hash|[0-9a-f]{64}/i);
    expect(body.nextBefore).toBeNull();
  });

  it('filters by time range, actor, action, department, outcome and keyword', async () => {
    const only = async (query: Record<string, string | number>) =>
      actions(await search(world.admin, { action: 'demo.', ...query }));
    expect(await only({ from: '2026-11-02', to: '2026-11-03T09:00:00Z' })).toEqual([
      'demo.chat.accept',
      'demo.agent.update',
    ]);
    expect(await only({ from: '2026-11-03T10:00:00+01:00' })).toEqual([
      'demo.signin',
      'demo.chat.accept',
    ]);
    expect(await only({ actor: '902' })).toEqual(['demo.agent.update']);
    expect(await only({ actor: 'ANN@' })).toEqual(['demo.agent.create']);
    expect(await only({ actor: '%' })).toEqual([]);
    expect(actions(await search(world.admin, { action: 'demo.agent.update' }))).toEqual([
      'demo.agent.update',
    ]);
    expect(actions(await search(world.admin, { action: 'demo.agent*' }))).toEqual([
      'demo.agent.update',
      'demo.agent.create',
    ]);
    expect(await only({ departmentId: world.support })).toEqual(['demo.agent.update']);
    expect(await only({ outcome: 'denied' })).toEqual(['demo.chat.accept']);
    expect(await only({ q: 'duplicate email' })).toEqual(['demo.agent.update']); // details
    expect(await only({ q: 'zoë' })).toEqual(['demo.agent.create']);
    expect(await only({ q: '198.51.100' })).toEqual(['demo.agent.update']); // address
    expect(await only({ q: 'carol' })).toEqual(['demo.signin', 'demo.chat.accept']); // actor
    expect(await only({ q: '77' })).toEqual(['demo.chat.accept']); // target
    expect(await only({ q: 'CHAT.accept' })).toEqual(['demo.chat.accept']); // action
    expect(await only({ q: 'carol', outcome: 'success' })).toEqual(['demo.signin']);
    expect(await only({ actor: '', q: '' })).toHaveLength(4); // empty form fields: no filter
  });

  it('pages with a cursor', async () => {
    const first = await search(world.admin, { action: 'demo.', limit: 3 });
    expect(actions(first)).toEqual(['demo.signin', 'demo.chat.accept', 'demo.agent.update']);
    expect(first.nextBefore).toBe(first.entries[2]!.id);
    const second = await search(world.admin, {
      action: 'demo.',
      limit: 3,
      before: first.nextBefore!,
    });
    expect(actions(second)).toEqual(['demo.agent.create']);
    expect(second.nextBefore).toBeNull();
  });

  it('refuses bad filters with a clear error', async () => {
    const problems = [
      { limit: 201 },
      { from: 'yesterday' },
      { from: '2026-11-05', to: '2026-11-01' },
      { outcome: 'maybe' },
      { departmentId: 'sales' },
      { action: 'demo action' },
      { sort: 'asc' },
    ];
    for (const query of problems) {
      const body = (
        await t.http().get('/api/audit').query(query).set('Cookie', world.admin).expect(400)
      ).body as { error: { id: string; message: string } };
      expect(body.error.id, JSON.stringify(query)).toBe('invalid_input');
    }
  });

  it("shows an agent whose grant is scoped to a department only that department's entries", async () => {
    expect(actions(await search(world.scoped, {}))).toEqual([
      'demo.chat.accept',
      'demo.agent.create',
    ]);
    expect(actions(await search(world.scoped, { departmentId: world.support }))).toEqual([]);
    const res = await t.http().get('/api/audit/verify').set('Cookie', world.scoped).expect(403);
    expect(res.body.error.id).toBe('forbidden');
  });
});

/** A small RFC 4180 reader, enough to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

async function exportAs(cookie: string, query: Record<string, string | number>) {
  const res = await t
    .http()
    .get('/api/audit/export')
    .query(query)
    .set('Cookie', cookie)
    .set('User-Agent', 'audit-test/1.0')
    .buffer(true)
    .parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
    })
    .expect(200);
  return { text: res.body as string, headers: res.headers as Record<string, string> };
}

describe('exporting the audit log', () => {
  it('downloads CSV with every column, and neutralises cells a spreadsheet would run', async () => {
    const labels = ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'];
    for (const label of labels) {
      await recordAt('2026-11-05T00:00:00.000Z', {
        actor: { kind: 'agent', id: 903, label },
        action: 'demo.formula',
        details: { note: 'a "quoted", comma\nand newline' },
      });
    }
    const { text, headers } = await exportAs(world.admin, {
      format: 'csv',
      action: 'demo.formula',
    });
    expect(headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(headers['content-disposition']).toMatch(
      /^attachment; filename="parley-audit-[0-9TZ-]+\.csv"$/,
    );
    expect(headers['cache-control']).toBe('no-store');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header).toEqual([
      'id',
      'at',
      'actorKind',
      'actorId',
      'actor',
      'ip',
      'userAgent',
      'action',
      'targetKind',
      'targetId',
      'departmentId',
      'outcome',
      'details',
      'prevHash',
      'hash',
    ]);
    const column = (name: string) => header!.indexOf(name);
    expect(rows.map((row) => row[column('actor')])).toEqual(labels.map((label) => `'${label}`));
    expect(rows[0]![column('details')]).toBe('{"note":"a \\"quoted\\", comma\\nand newline"}');
    expect(rows[0]![column('hash')]).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]![column('actorId')]).toBe('903');
    expect(rows[0]![column('departmentId')]).toBe('');
  });

  it('downloads JSON as one array, oldest first, with details as objects', async () => {
    const { text, headers } = await exportAs(world.admin, {
      format: 'json',
      action: 'demo.agent.',
    });
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['content-disposition']).toMatch(/^attachment; filename=".+\.json"$/);
    const entries = JSON.parse(text) as Record<string, unknown>[];
    expect(entries.map((entry) => entry.action)).toEqual([
      'demo.agent.create',
      'demo.agent.update',
    ]);
    expect(entries[0]).toMatchObject({
      actor: 'ann@example.test',
      details: { name: 'Zoë Quinn', role: 'agent' },
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      prevHash: '0'.repeat(64),
    });
  });

  it('downloads JSON Lines, scoped like search, and an empty result is valid', async () => {
    const { text, headers } = await exportAs(world.scoped, { format: 'jsonl' });
    expect(headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = text.trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { action: string }).action)).toEqual([
      'demo.agent.create',
      'demo.chat.accept',
    ]);
    expect(
      JSON.parse((await exportAs(world.admin, { format: 'json', q: 'nothing' })).text),
    ).toEqual([]);
  });

  it('records each export, with its filters, and leaves that record out of the export itself', async () => {
    const { text } = await exportAs(world.admin, { format: 'jsonl', outcome: 'success' });
    expect(text).not.toContain('audit.export');
    const body = await search(world.admin, { action: 'audit.export' });
    expect(body.entries).toHaveLength(1);
    expect(body.entries[0]).toMatchObject({
      actor: { kind: 'agent', id: world.adminId },
      userAgent: 'audit-test/1.0',
      ip: expect.stringMatching(/127\.0\.0\.1/),
      outcome: 'success',
      details: { format: 'jsonl', filters: { outcome: 'success' } },
    });
  });

  it('streams a log longer than one page', async () => {
    // 1,200 entries written straight into the table: export reads, it does not verify.
    const rows = Array.from({ length: 1200 }, (_, i) => ({
      id: 1000 + i,
      at: new Date(Date.UTC(2026, 10, 6, 0, 0, i)),
      actor_kind: 'system',
      action: 'demo.bulk',
      outcome: 'success',
      details: JSON.stringify({ i }),
      prev_hash: Buffer.alloc(32),
      hash: Buffer.alloc(32, 1),
    }));
    for (let i = 0; i < rows.length; i += 400)
      await db('audit_events').insert(rows.slice(i, i + 400));
    await db('audit_chain_head').update({ last_id: 2199, last_hash: Buffer.alloc(32, 1) });
    const { text } = await exportAs(world.admin, { format: 'csv', action: 'demo.bulk' });
    const parsed = parseCsv(text.slice(1));
    expect(parsed).toHaveLength(1201);
    expect(parsed.at(-1)![0]).toBe('2199');
  });
});

describe('verifying the chain over HTTP', () => {
  it('reports an intact chain, then the first altered entry', async () => {
    const intact = await t.http().get('/api/audit/verify').set('Cookie', world.admin).expect(200);
    expect(intact.body).toEqual({ ok: true, checked: expect.any(Number) });
    const { entries } = await search(world.admin, { action: 'demo.agent.update' });
    await auditTampering(db).editDetails(entries[0]!.id);
    const broken = await t.http().get('/api/audit/verify').set('Cookie', world.admin).expect(200);
    expect(broken.body).toMatchObject({ ok: false, id: entries[0]!.id, kind: 'altered' });
    const recorded = await search(world.admin, { action: 'audit.verify' });
    expect(recorded.entries.map((entry) => entry.outcome)).toEqual(['failure', 'success']);
  });
});
