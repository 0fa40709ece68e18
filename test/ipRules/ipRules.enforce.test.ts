import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCidr } from '../../app/shared/cidr.ts';
import type { AgentRow } from '../../app/storage/agents.ts';
import type { Db } from '../../app/storage/db.ts';
import type { IpRuleScope } from '../../app/storage/ipRules.ts';
import { WIDGET_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectVisitor,
  connected,
  nextEvent,
  startTestParley,
  visitorToken,
  type TestParley,
} from '../harness/parley.ts';
import {
  TRUST_LOOPBACK,
  agentSocketFrom,
  as,
  auditRows,
  detailsOf,
  sessionFrom,
  signInFrom,
} from './helpers.ts';

// Where the IP rules bite, over real HTTPS and Socket.IO: sign-in, every agent request, the socket
// handshake and live sockets. `t` believes X-Forwarded-For from 127.0.0.1 (a trusted proxy);
// `direct` trusts no proxy, so there the client is always the peer, 127.0.0.1.

let t: TestParley;
let direct: TestParley;
let db: Db;
const sockets: { disconnect(): unknown }[] = [];
let rulesAdmin: AgentRow | undefined;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(TRUST_LOOPBACK);
  direct = await startTestParley();
});
afterAll(async () => {
  await t.close();
  await direct.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  rulesAdmin = undefined;
  t.parley.services.ipRules.invalidate();
  direct.parley.services.ipRules.invalidate();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

/**
 * Adds rules through the IP-rules service of `t` (the API itself is covered in
 * ipRules.api.test.ts), as a confirmed change so the admin's own address does not matter.
 */
async function addRules(
  ...rules: { scope: IpRuleScope; cidr: string; role?: string; agentId?: number }[]
) {
  rulesAdmin ??= (await createAgent(db, { role: 'admin' })).agent;
  for (const rule of rules) {
    const parsed = parseCidr(rule.cidr);
    if (!parsed.ok) throw new Error(parsed.problem);
    await t.parley.services.ipRules.add(
      {
        scope: rule.scope,
        role: rule.role ?? null,
        agentId: rule.agentId ?? null,
        cidr: parsed.cidr,
        note: '',
      },
      { agent: rulesAdmin, ip: '192.0.2.10', userAgent: 'test', confirmLockout: true },
    );
  }
  direct.parley.services.ipRules.invalidate(); // the other server caches the rules too
}

const refusalOf = (body: unknown) => (body as { error: { id: string; message: string } }).error;

describe('sign-in', () => {
  it('refuses an address outside the global list (IPv4), before any password is tried', async () => {
    const { agent, password } = await createAgent(db);
    await addRules({ scope: 'global', cidr: '198.51.100.0/24' });

    const outside = await signInFrom(t, '203.0.113.9', agent.email, password);
    expect(outside.status).toBe(403);
    expect(refusalOf(outside.body)).toEqual({
      id: 'ip_not_allowed',
      message:
        'Parley cannot be used from your address (203.0.113.9); ask an administrator to allow it.',
    });
    expect(outside.cookie).toBeNull();
    // The same answer for a wrong password and an unknown account: it says nothing about either.
    const wrong = await signInFrom(t, '203.0.113.9', agent.email, 'not the password');
    const nobody = await signInFrom(t, '203.0.113.9', 'nobody@example.test', 'whatever');
    expect([wrong.status, refusalOf(wrong.body).id]).toEqual([403, 'ip_not_allowed']);
    expect([nobody.status, refusalOf(nobody.body).id]).toEqual([403, 'ip_not_allowed']);

    expect((await signInFrom(t, '198.51.100.20', agent.email, password)).status).toBe(200);

    const denied = (await auditRows(db, 'agent.signin')).filter((r) => r.outcome === 'denied');
    expect(denied).toHaveLength(3);
    expect(denied[0]).toMatchObject({ ip: '203.0.113.9', actor_label: agent.email });
    expect(detailsOf(denied[0]!)).toEqual({ reason: 'ip_not_allowed', level: 'global' });
  });

  it("applies a role's list (IPv6) after the password, and only to that role", async () => {
    const { agent, password } = await createAgent(db, { role: 'agent' });
    const { agent: boss, password: bossPassword } = await createAgent(db, { role: 'admin' });
    await addRules({ scope: 'role', role: 'agent', cidr: '2001:db8:a::/48' });

    const outside = await signInFrom(t, '2001:db8:b::1', agent.email, password);
    expect([outside.status, refusalOf(outside.body).id]).toEqual([403, 'ip_not_allowed']);
    expect(refusalOf(outside.body).message).toContain('(2001:db8:b::1)');
    // A wrong password is just a wrong password: the role's list is not consulted before it.
    const wrong = await signInFrom(t, '2001:db8:b::1', agent.email, 'not the password');
    expect(refusalOf(wrong.body).id).toBe('invalid_credentials');

    expect((await signInFrom(t, '2001:DB8:A:0::5', agent.email, password)).status).toBe(200);
    expect((await signInFrom(t, '2001:db8:b::1', boss.email, bossPassword)).status).toBe(200);

    const denied = (await auditRows(db, 'agent.signin')).filter((r) => r.outcome === 'denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ actor_id: agent.id, ip: '2001:db8:b::1' });
    expect(detailsOf(denied[0]!)).toEqual({ reason: 'ip_not_allowed', level: 'role' });
  });

  it("applies an agent's own list on top of the global one", async () => {
    const { agent: ann, password } = await createAgent(db);
    const { agent: bob, password: bobPassword } = await createAgent(db);
    await addRules(
      { scope: 'global', cidr: '198.51.100.0/24' },
      { scope: 'agent', agentId: ann.id, cidr: '198.51.100.7' },
    );
    expect((await signInFrom(t, '198.51.100.7', ann.email, password)).status).toBe(200);
    const elsewhere = await signInFrom(t, '198.51.100.8', ann.email, password);
    expect([elsewhere.status, refusalOf(elsewhere.body).id]).toEqual([403, 'ip_not_allowed']);
    expect((await signInFrom(t, '198.51.100.8', bob.email, bobPassword)).status).toBe(200);
    // Her own list does not exempt her from the global one.
    await addRules({ scope: 'agent', agentId: ann.id, cidr: '203.0.113.7' });
    expect((await signInFrom(t, '203.0.113.7', ann.email, password)).status).toBe(403);
  });

  it('does not restrict visitors', async () => {
    await addRules({ scope: 'global', cidr: '198.51.100.0/24' });
    const token = await visitorToken(t);
    const socket = connectVisitor(t.url, token, {
      extraHeaders: { origin: WIDGET_ORIGIN, 'x-forwarded-for': '203.0.113.9' },
    });
    sockets.push(socket);
    await connected(socket);
  });
});

describe('sessions in use', () => {
  it('ends a session used from a disallowed address, even if it began at an allowed one', async () => {
    const { agent, password } = await createAgent(db);
    await addRules({ scope: 'global', cidr: '198.51.100.0/24' });
    const cookie = await sessionFrom(t, '198.51.100.20', agent.email, password);
    await as(t, cookie, '198.51.100.20').get('/api/agent/session').expect(200);

    // The cookie turns up at another address: the session ends there and then.
    const stolen = await as(t, cookie, '203.0.113.66').get('/api/agent/session').expect(403);
    expect(refusalOf(stolen.body).id).toBe('ip_not_allowed');
    await as(t, cookie, '198.51.100.20').get('/api/agent/session').expect(401);

    const ended = await auditRows(db, 'session.ended_ip');
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ actor_id: agent.id, ip: '203.0.113.66', outcome: 'denied' });
    expect(detailsOf(ended[0]!)).toEqual({ via: 'http', level: 'global' });
  });

  it('ends live sessions and disconnects their sockets as soon as a rule shuts them out', async () => {
    const { agent, password } = await createAgent(db);
    const cookie = await sessionFrom(t, '203.0.113.9', agent.email, password);
    const socket = agentSocketFrom(t, cookie, '203.0.113.9');
    sockets.push(socket);
    await connected(socket);

    const ended = nextEvent<{ id: string }>(socket, 'session:ended');
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    await addRules({ scope: 'global', cidr: '198.51.100.0/24' });
    expect((await ended).id).toBe('ip_not_allowed');
    expect(await gone).toBe('io server disconnect');

    await as(t, cookie, '203.0.113.9').get('/api/agent/session').expect(401);
    const rows = await auditRows(db, 'session.ended_ip');
    expect(rows.map((row) => detailsOf(row))).toEqual([{ via: 'socket', level: 'global' }]);
  });

  it('ends the session when an HTTP request comes from a disallowed address, sockets included', async () => {
    const { agent, password } = await createAgent(db);
    await addRules({ scope: 'agent', agentId: agent.id, cidr: '2001:db8::/32' });
    const cookie = await sessionFrom(t, '2001:db8::9', agent.email, password);
    const socket = agentSocketFrom(t, cookie, '2001:db8::9');
    sockets.push(socket);
    await connected(socket);
    const ended = nextEvent<{ id: string }>(socket, 'session:ended');
    await as(t, cookie, '2001:db9::9').get('/api/agent/session').expect(403);
    expect((await ended).id).toBe('ip_not_allowed');
  });

  it('refuses a socket handshake from a disallowed address and ends that session', async () => {
    const { agent, password } = await createAgent(db);
    await addRules({ scope: 'global', cidr: '198.51.100.0/24' });
    const cookie = await sessionFrom(t, '198.51.100.20', agent.email, password);
    const socket = agentSocketFrom(t, cookie, '::ffff:203.0.113.9');
    sockets.push(socket);
    const refused = await connected(socket).then(
      () => null,
      (error: Error & { data?: { id?: string } }) => error,
    );
    expect(refused?.data?.id).toBe('ip_not_allowed');
    expect(refused?.message).toContain('(203.0.113.9)');
    await as(t, cookie, '198.51.100.20').get('/api/agent/session').expect(401);

    const allowedCookie = await sessionFrom(t, '198.51.100.20', agent.email, password);
    const fine = agentSocketFrom(t, allowedCookie, '198.51.100.20');
    sockets.push(fine);
    await connected(fine);
  });
});

describe('without trusted proxies', () => {
  it('a forged X-Forwarded-For changes nothing: the client is the peer', async () => {
    const { agent, password } = await createAgent(db);
    await addRules({ scope: 'global', cidr: '198.51.100.0/24' });

    // Claiming an allowed address does not get in…
    const forged = await signInFrom(direct, '198.51.100.20', agent.email, password);
    expect([forged.status, refusalOf(forged.body).id]).toEqual([403, 'ip_not_allowed']);
    expect(refusalOf(forged.body).message).toContain('(127.0.0.1)');

    // …and once loopback is allowed, claiming a refused address does not keep anyone out.
    await addRules({ scope: 'global', cidr: '127.0.0.0/8' });
    const cookie = await sessionFrom(direct, '203.0.113.9', agent.email, password);
    await as(direct, cookie, '203.0.113.9').get('/api/agent/session').expect(200);
    const socket = agentSocketFrom(direct, cookie, '203.0.113.9');
    sockets.push(socket);
    await connected(socket);

    const signIns = await auditRows(db, 'agent.signin');
    expect(signIns.filter((row) => row.actor_label === agent.email).map((row) => row.ip)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
    ]);
    expect(await auditRows(db, 'session.ended_ip')).toEqual([]);
  });
});
