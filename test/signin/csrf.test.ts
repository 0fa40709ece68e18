import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { declaredRoutes } from '../../app/http/route.ts';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';
import { SIGNIN_TEST_ENV } from './helpers.ts';

// Cross-site request forgery: the session cookie is SameSite=Strict, and every state-changing
// console route also checks Origin (or Sec-Fetch-Site) and takes JSON only, which a cross-site
// form cannot send and a cross-site fetch cannot send without a CORS preflight Parley refuses.

let t: TestParley;
let db: Db;
let admin: string;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley(SIGNIN_TEST_ENV);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  const { agent, password } = await createAgent(db, { role: 'admin' });
  admin = await signIn(t, agent.email, password);
});

type Method = 'post' | 'put' | 'patch' | 'delete';
const EVIL = 'https://evil.example';
const concrete = (path: string) =>
  path.replace(/:handle/g, '0123456789abcdef').replace(/:[A-Za-z]+/g, '1');

function send(method: Method, path: string, headers: Record<string, string>, form = false) {
  const req = t.http()[method](concrete(path)).set('Cookie', admin);
  for (const [name, value] of Object.entries(headers)) req.set(name, value);
  if (method === 'delete') return req;
  return form ? req.type('form').send('a=1') : req.send({});
}

// My route families, by name, so a route that loses its guard fails here by name.
const FAMILIES: Record<string, [Method, string][]> = {
  'sign-in and sign-out': [
    ['post', '/api/agent/captcha'],
    ['post', '/api/agent/session'],
    ['post', '/api/agent/session/totp'],
    ['delete', '/api/agent/session'],
  ],
  'two-factor': [
    ['post', '/api/agent/totp/setup'],
    ['post', '/api/agent/totp/confirm'],
    ['post', '/api/agent/totp/disable'],
    ['post', '/api/agent/totp/recovery-codes'],
    ['delete', '/api/agents/:id/totp'],
  ],
  sessions: [
    ['delete', '/api/sessions/:handle'],
    ['delete', '/api/agent/sessions/:handle'],
  ],
  'sign-in defences': [['post', '/api/agents/:id/unlock']],
};

describe.each(Object.entries(FAMILIES))('CSRF: %s', (_family, routes) => {
  it.each(routes)(
    '%s %s refuses another origin, a cross-site fetch and a form post',
    async (method, path) => {
      const foreign = await send(method, path, { Origin: EVIL });
      expect(foreign.status).toBe(403);
      expect(foreign.body.error.id).toBe('origin_not_allowed');

      const crossSite = await send(method, path, { 'Sec-Fetch-Site': 'cross-site' });
      expect(crossSite.status).toBe(403);
      expect(crossSite.body.error.id).toBe('origin_not_allowed');

      if (method !== 'delete') {
        const form = await send(method, path, { Origin: TEST_ORIGIN }, true);
        expect(form.status).toBe(400);
        expect(form.body.error.id).toBe('invalid_input');
      }
      // Nothing was changed: the admin is still signed in, no TOTP, no audit entry but the sign-in.
      await t.http().get('/api/agent/session').set('Cookie', admin).expect(200);
      expect(await db('agent_totp')).toHaveLength(0);
    },
  );
});

describe('CSRF: every state-changing console route', () => {
  it('refuses a request from another origin, whoever declared it', async () => {
    const unguarded: string[] = [];
    for (const key of declaredRoutes.keys()) {
      const [verb, path] = key.split(' ') as [string, string];
      const method = verb.toLowerCase() as Method;
      if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
      // The visitor API answers the widget's origins through CORS (tested with the widget).
      if (path.startsWith('/api/visitor')) continue;
      const res = await send(method, path, { Origin: EVIL });
      if (res.status !== 403 || res.body?.error?.id !== 'origin_not_allowed') {
        unguarded.push(`${key} → ${res.status} ${res.body?.error?.id ?? ''}`);
      }
    }
    expect(unguarded).toEqual([]);
  });
});
