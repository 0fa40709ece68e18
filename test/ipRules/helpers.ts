import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { connectAgent, type AgentSocket, type TestParley } from '../harness/parley.ts';

// Helpers for the IP-rule suites: requests and sockets that claim a client address through
// X-Forwarded-For (believed only by a server started with PARLEY_TRUSTED_PROXIES=127.0.0.1).

export const TRUST_LOOPBACK = { PARLEY_TRUSTED_PROXIES: '127.0.0.1' };

export async function signInFrom(
  t: TestParley,
  ip: string,
  email: string,
  password: string,
): Promise<{ status: number; cookie: string | null; body: unknown }> {
  const res = await t
    .http()
    .post('/api/agent/session')
    .set('Origin', TEST_ORIGIN)
    .set('X-Forwarded-For', ip)
    .send({ email, password });
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
  return { status: res.status, cookie: cookie ? cookie.split(';')[0]! : null, body: res.body };
}

/** Signs in and fails the test when that does not work. */
export async function sessionFrom(t: TestParley, ip: string, email: string, password: string) {
  const result = await signInFrom(t, ip, email, password);
  if (result.status !== 200 || !result.cookie) {
    throw new Error(`sign-in from ${ip} failed: ${result.status} ${JSON.stringify(result.body)}`);
  }
  return result.cookie;
}

/** A request as a signed-in agent from an address. */
export function as(t: TestParley, cookie: string, ip: string) {
  const http = () => t.http();
  const headers = (req: ReturnType<ReturnType<typeof http>['get']>) =>
    req.set('Cookie', cookie).set('Origin', TEST_ORIGIN).set('X-Forwarded-For', ip);
  return {
    get: (path: string) => headers(http().get(path)),
    post: (path: string, body: object) => headers(http().post(path)).send(body),
    delete: (path: string) => headers(http().delete(path)),
  };
}

export function agentSocketFrom(t: TestParley, cookie: string, ip: string): AgentSocket {
  return connectAgent(t.url, cookie, {
    extraHeaders: { cookie, origin: TEST_ORIGIN, 'x-forwarded-for': ip },
  });
}

export async function auditRows(db: Db, action: string) {
  return (await db('audit_events').where({ action }).orderBy('id')) as {
    actor_id: number | null;
    actor_label: string;
    ip: string;
    outcome: string;
    target_kind: string;
    target_id: string;
    details: string | Record<string, unknown> | null;
  }[];
}

export const detailsOf = (row: { details: string | Record<string, unknown> | null }) =>
  (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<
    string,
    unknown
  >;
