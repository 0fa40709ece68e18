import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IpRulesListResponse, IpRuleView } from '../../app/shared/ipRules.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { TRUST_LOOPBACK, as, auditRows, detailsOf, sessionFrom } from './helpers.ts';

// Admin › IP restrictions over the real HTTPS API: listing, adding, removing, validation,
// the lock-out guard and the audit trail.

let t: TestParley;
let db: Db;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(TRUST_LOOPBACK);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  t.parley.services.ipRules.invalidate();
});

const ADMIN_IP = '198.51.100.10';

async function admin(ip = ADMIN_IP) {
  const { agent, password } = await createAgent(db, { role: 'admin' });
  const cookie = await sessionFrom(t, ip, agent.email, password);
  return { agent, api: as(t, cookie, ip) };
}

describe('IP rules management', () => {
  it('lists, adds and removes rules, canonical and audited', async () => {
    const { agent, api } = await admin();
    const { agent: ann } = await createAgent(db, { name: 'Ann' });

    const empty = (await api.get('/api/ip-rules').expect(200)).body as IpRulesListResponse;
    expect(empty.rules).toEqual([]);
    expect(empty.yourAddress).toBe(ADMIN_IP);
    // Every reader of the client address sees the same one, the session store included.
    const sessions = await db('agent_sessions').where({ agent_id: agent.id }).pluck('ip');
    expect(sessions).toEqual([ADMIN_IP]);
    expect(empty.roles).toEqual(expect.arrayContaining(['admin', 'agent']));
    expect(empty.agents.map((a) => a.id)).toEqual(expect.arrayContaining([agent.id, ann.id]));

    const added = await api
      .post('/api/ip-rules', { scope: 'global', cidr: '198.51.100.0/24', note: 'Head office' })
      .expect(201);
    const rule = (added.body as { rule: IpRuleView }).rule;
    expect(rule).toMatchObject({
      scope: 'global',
      role: null,
      agent: null,
      cidr: '198.51.100.0/24',
      note: 'Head office',
      createdBy: { id: agent.id, name: agent.name },
    });
    await api
      .post('/api/ip-rules', { scope: 'role', role: 'agent', cidr: '2001:DB8::/32' })
      .expect(201);
    await api
      .post('/api/ip-rules', { scope: 'agent', agentId: ann.id, cidr: '203.0.113.7' })
      .expect(201);

    const listed = (await api.get('/api/ip-rules').expect(200)).body as IpRulesListResponse;
    expect(listed.rules.map((r) => [r.scope, r.role ?? r.agent?.name ?? null, r.cidr])).toEqual([
      ['global', null, '198.51.100.0/24'],
      ['role', 'agent', '2001:db8::/32'],
      ['agent', 'Ann', '203.0.113.7/32'],
    ]);
    expect(JSON.stringify(listed)).not.toContain('password');

    await api.delete(`/api/ip-rules/${rule.id}`).expect(204);
    await api.delete(`/api/ip-rules/${rule.id}`).expect(404);
    expect(((await api.get('/api/ip-rules')).body as IpRulesListResponse).rules).toHaveLength(2);

    const adds = await auditRows(db, 'ip_rule.add');
    expect(adds).toHaveLength(3);
    expect(adds[0]).toMatchObject({ actor_id: agent.id, ip: ADMIN_IP, outcome: 'success' });
    expect(detailsOf(adds[2]!)).toMatchObject({
      scope: 'agent',
      agentId: ann.id,
      cidr: '203.0.113.7/32',
    });
    const removes = await auditRows(db, 'ip_rule.remove');
    expect(removes).toHaveLength(1);
    expect(removes[0]).toMatchObject({ target_kind: 'ip_rule', target_id: String(rule.id) });
    expect(detailsOf(removes[0]!)).toMatchObject({ cidr: '198.51.100.0/24', scope: 'global' });
    expect(await t.parley.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('refuses bad ranges and bad bodies with a clear error', async () => {
    const { api } = await admin();
    const refused = async (body: object) => {
      const res = await api.post('/api/ip-rules', body).expect(400);
      expect(res.body.error.id).toBe('invalid_input');
      return res.body.error.message as string;
    };
    expect(await refused({ scope: 'global', cidr: '10.0.0.1/8' })).toBe(
      'cidr: "10.0.0.1/8" has host bits set: write 10.0.0.0/8 for the range or 10.0.0.1/32 for the one address',
    );
    expect(await refused({ scope: 'global', cidr: 'office' })).toMatch(
      /^cidr: "office" is not an IPv4 or IPv6/,
    );
    expect(await refused({ scope: 'global', cidr: '10.0.0.0/40' })).toMatch(/0 to 32/);
    expect(await refused({ scope: 'global', cidr: '2001:db8::/200' })).toMatch(/0 to 128/);
    expect(await refused({ scope: 'global', cidr: '' })).toMatch(/^cidr:/);
    expect(await refused({ scope: 'planet', cidr: '10.0.0.0/8' })).toMatch(/^scope:/);
    expect(await refused({ scope: 'role', cidr: '10.0.0.0/8' })).toMatch(/^role:/);
    expect(await refused({ scope: 'role', role: 'pirates', cidr: '10.0.0.0/8' })).toMatch(
      /no role named "pirates"/,
    );
    expect(await refused({ scope: 'agent', agentId: 999999, cidr: '10.0.0.0/8' })).toMatch(
      /no agent with id 999999/,
    );
    expect(await refused({ scope: 'global', cidr: '10.0.0.0/8', extra: 1 })).toMatch(/extra/);
    await api.delete('/api/ip-rules/abc').expect(400);

    await api.post('/api/ip-rules', { scope: 'global', cidr: '198.51.100.0/24' }).expect(201);
    const duplicate = await api
      .post('/api/ip-rules', { scope: 'global', cidr: '198.51.100.0/24' })
      .expect(409);
    expect(duplicate.body.error.id).toBe('ip_rule_exists');
  });

  it('needs security.manage and a same-origin request', async () => {
    const { agent, password } = await createAgent(db);
    const cookie = await sessionFrom(t, ADMIN_IP, agent.email, password);
    const api = as(t, cookie, ADMIN_IP);
    expect((await api.get('/api/ip-rules').expect(403)).body.error.id).toBe('forbidden');
    await api.post('/api/ip-rules', { scope: 'global', cidr: '10.0.0.0/8' }).expect(403);
    await t.http().get('/api/ip-rules').expect(401);

    const { api: adminApi } = await admin();
    const crossSite = await adminApi
      .post('/api/ip-rules', { scope: 'global', cidr: '10.0.0.0/8' })
      .set('Origin', 'https://evil.example')
      .expect(403);
    expect(crossSite.body.error.id).toBe('origin_not_allowed');
  });
});

describe('the lock-out guard', () => {
  it('refuses a rule that shuts out the editor until they confirm it', async () => {
    const { agent, api } = await admin();
    const refused = await api
      .post('/api/ip-rules', { scope: 'global', cidr: '203.0.113.0/24' })
      .expect(409);
    expect(refused.body.error).toEqual({
      id: 'would_lock_out_self',
      message: `This change would lock you out: your current address is ${ADMIN_IP}. Confirm to save it anyway.`,
    });
    // A role list the editor's own role is on counts too; another role's list does not.
    await api
      .post('/api/ip-rules', { scope: 'role', role: 'admin', cidr: '2001:db8::/32' })
      .expect(409);
    await api
      .post('/api/ip-rules', { scope: 'role', role: 'agent', cidr: '2001:db8::/32' })
      .expect(201);
    await api
      .post('/api/ip-rules', { scope: 'agent', agentId: agent.id, cidr: '10.0.0.0/8' })
      .expect(409);
    const rules = ((await api.get('/api/ip-rules')).body as IpRulesListResponse).rules;
    expect(rules.map((r) => r.cidr)).toEqual(['2001:db8::/32']);

    const denied = await auditRows(db, 'ip_rule.add');
    expect(denied.filter((row) => row.outcome === 'denied')).toHaveLength(3);
    expect(detailsOf(denied[0]!)).toMatchObject({ reason: 'would_lock_out_self', level: 'global' });

    // Confirmed: saved, and the editor's own session ends at their next request.
    await api
      .post('/api/ip-rules', { scope: 'global', cidr: '203.0.113.0/24', confirmLockout: true })
      .expect(201);
    const last = (await auditRows(db, 'ip_rule.add')).at(-1)!;
    expect(detailsOf(last)).toMatchObject({ confirmedLockout: true, cidr: '203.0.113.0/24' });
    expect((await api.get('/api/ip-rules').expect(403)).body.error.id).toBe('ip_not_allowed');
    await api.get('/api/ip-rules').expect(401);
  });

  it('guards removals too: removing the entry that lets the editor in narrows the list', async () => {
    const { api } = await admin();
    const mine = (
      await api.post('/api/ip-rules', { scope: 'global', cidr: '198.51.100.0/24' }).expect(201)
    ).body as { rule: IpRuleView };
    const other = (
      await api.post('/api/ip-rules', { scope: 'global', cidr: '192.0.2.0/24' }).expect(201)
    ).body as { rule: IpRuleView };
    expect((await api.delete(`/api/ip-rules/${mine.rule.id}`).expect(409)).body.error.id).toBe(
      'would_lock_out_self',
    );
    // Removing the other entry is harmless; removing the last entry opens the list.
    await api.delete(`/api/ip-rules/${other.rule.id}`).expect(204);
    await api.delete(`/api/ip-rules/${mine.rule.id}`).expect(204);

    await api.post('/api/ip-rules', { scope: 'global', cidr: '198.51.100.0/24' }).expect(201);
    const again = (
      await api.post('/api/ip-rules', { scope: 'global', cidr: '192.0.2.0/24' }).expect(201)
    ).body as { rule: IpRuleView };
    const list = ((await api.get('/api/ip-rules')).body as IpRulesListResponse).rules;
    const entry = list.find((r) => r.cidr === '198.51.100.0/24')!;
    const bad = await api.delete(`/api/ip-rules/${entry.id}?confirmLockout=maybe`).expect(400);
    expect(bad.body.error.message).toBe('confirmLockout: must be true or false');
    await api.delete(`/api/ip-rules/${entry.id}?confirmLockout=true`).expect(204);
    expect((await api.get('/api/ip-rules').expect(403)).body.error.id).toBe('ip_not_allowed');
    expect(again.rule.cidr).toBe('192.0.2.0/24');
  });
});
