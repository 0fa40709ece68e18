import { connect as tlsConnect } from 'node:tls';
import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN, WIDGET_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  caCert,
  capturingLogger,
  signIn,
  startTestParley,
  type TestParley,
} from '../harness/parley.ts';

let t: TestParley;
let db: Db;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley();
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));

const errorShape = {
  error: { id: expect.any(String), message: expect.any(String) },
  requestId: expect.any(String),
};

describe('transport security', () => {
  it('sends a strict CSP, HSTS, nosniff, a referrer policy and never allows framing', async () => {
    const res = await t.http().get('/healthz').expect(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('speaks TLS 1.2 and 1.3 and refuses TLS 1.1', async () => {
    const handshake = (version: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3') =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect(
          {
            host: '127.0.0.1',
            port: t.parley.httpsPort,
            ca: caCert(),
            servername: 'localhost',
            minVersion: version,
            maxVersion: version,
          },
          () => {
            resolve(socket.getProtocol() ?? '');
            socket.end();
          },
        );
        socket.once('error', reject);
      });
    expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
    expect(await handshake('TLSv1.2')).toBe('TLSv1.2');
    await expect(handshake('TLSv1.1')).rejects.toThrow();
  });

  it('only redirects on the plain HTTP port', async () => {
    const res = await new Promise<{ status?: number; location?: string }>((resolve, reject) => {
      httpGet(
        { host: '127.0.0.1', port: t.parley.httpPort!, path: '/api/transcripts?x=1' },
        (r) => {
          r.resume();
          resolve({ status: r.statusCode, location: r.headers.location });
        },
      ).once('error', reject);
    });
    expect(res).toEqual({ status: 308, location: `${TEST_ORIGIN}/api/transcripts?x=1` });
  });

  it('reports liveness, and readiness of the database and clamd with the signature date', async () => {
    expect((await t.http().get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await t.http().get('/readyz').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: {
        database: { up: true },
        clamd: { up: true, version: expect.stringMatching(/^ClamAV /) },
      },
    });
  });

  it('reports not ready, with a 503, when clamd does not answer', async () => {
    const broken = await startTestParley({ PARLEY_CLAMD_PORT: '1', PARLEY_HTTP_REDIRECT: 'false' });
    try {
      const res = await broken.http().get('/readyz').expect(503);
      expect(res.body).toMatchObject({
        status: 'not_ready',
        checks: { database: { up: true }, clamd: { up: false } },
      });
    } finally {
      await broken.close();
    }
  });
});

describe('errors', () => {
  it('answers unknown routes and bad JSON with one shape, a stable id and no internals', async () => {
    const missing = await t.http().get('/api/nothing-here').expect(404);
    expect(missing.body).toEqual(errorShape);
    expect(missing.body.error.id).toBe('not_found');
    expect(missing.headers['x-request-id']).toBe(missing.body.requestId);

    const bad = await t
      .http()
      .post('/api/visitor/token')
      .set('Content-Type', 'application/json')
      .send('{"token":')
      .expect(400);
    expect(bad.body).toEqual(errorShape);
    expect(bad.body.error.id).toBe('invalid_input');
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.ts|SyntaxError|Unexpected/);

    const invalid = await t.http().post('/api/agent/session').send({ email: 1 }).expect(400);
    expect(invalid.body.error.message).toMatch(/email/);
  });
});

describe('agent sign-in', () => {
  it('sets a session-only __Host- cookie that is Secure, HttpOnly and SameSite=Strict', async () => {
    const { agent, password } = await createAgent(db);
    const res = await t
      .http()
      .post('/api/agent/session')
      .send({ email: agent.email, password })
      .expect(200);
    expect(res.body).toEqual({
      agent: { id: agent.id, email: agent.email, name: agent.name, role: 'agent' },
    });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0] ?? '';
    expect(cookie).toMatch(/^__Host-parley_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; path=\//);
    expect(cookie).toMatch(/; secure/);
    expect(cookie).toMatch(/; httponly/);
    expect(cookie).toMatch(/; samesite=strict/);
    expect(cookie).not.toMatch(/expires|max-age/i);
    const stored = await db('agent_sessions').select('id_hash');
    expect(stored).toHaveLength(1);
    expect(cookie).not.toContain(stored[0].id_hash.toString('base64url'));
  });

  it('gives the same answer for a wrong password and an unknown account', async () => {
    const { agent } = await createAgent(db);
    const wrong = await t
      .http()
      .post('/api/agent/session')
      .send({ email: agent.email, password: 'nope' })
      .expect(401);
    const unknown = await t
      .http()
      .post('/api/agent/session')
      .send({ email: 'ghost@example.test', password: 'nope' })
      .expect(401);
    expect(wrong.body.error).toEqual(unknown.body.error);
    expect(wrong.body.error.id).toBe('invalid_credentials');
  });

  it('refuses a sign-in posted from another site (CSRF) and a non-JSON body', async () => {
    const { agent, password } = await createAgent(db);
    const res = await t
      .http()
      .post('/api/agent/session')
      .set('Origin', 'https://evil.example')
      .send({ email: agent.email, password })
      .expect(403);
    expect(res.body.error.id).toBe('origin_not_allowed');
    await t
      .http()
      .post('/api/agent/session')
      .type('form')
      .send({ email: agent.email, password })
      .expect(400);
  });

  it('requires a session for transcripts, and ends it at sign-out', async () => {
    await t.http().get('/api/transcripts').expect(401);
    const { agent, password } = await createAgent(db);
    const cookie = await signIn(t, agent.email, password);
    expect((await t.http().get('/api/transcripts').set('Cookie', cookie).expect(200)).body).toEqual(
      { transcripts: [], nextBefore: null },
    );
    await t
      .http()
      .delete('/api/agent/session')
      .set('Cookie', cookie)
      .set('Origin', TEST_ORIGIN)
      .expect(204);
    await t.http().get('/api/transcripts').set('Cookie', cookie).expect(401);
  });
});

describe('visitor tokens', () => {
  it('issues a token to allowed widget origins only, and keeps the visitor across visits', async () => {
    const first = await t
      .http()
      .post('/api/visitor/token')
      .set('Origin', WIDGET_ORIGIN)
      .send({})
      .expect(200);
    expect(first.headers['access-control-allow-origin']).toBe(WIDGET_ORIGIN);
    const { token, visitorId } = first.body as { token: string; visitorId: string };
    const again = await t
      .http()
      .post('/api/visitor/token')
      .set('Origin', WIDGET_ORIGIN)
      .send({ token })
      .expect(200);
    expect(again.body.visitorId).toBe(visitorId);
    const forged = await t
      .http()
      .post('/api/visitor/token')
      .send({ token: token.slice(0, -2) + 'xx' })
      .expect(200);
    expect(forged.body.visitorId).not.toBe(visitorId);
    const refused = await t
      .http()
      .post('/api/visitor/token')
      .set('Origin', 'https://evil.example')
      .send({})
      .expect(403);
    expect(refused.body.error.id).toBe('origin_not_allowed');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('logs', () => {
  it('are JSON lines with a request id, and never hold a password, session id or token', async () => {
    const { log, lines } = capturingLogger();
    const logged = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' }, log);
    try {
      const { agent, password } = await createAgent(db);
      await logged
        .http()
        .post('/api/agent/session')
        .send({ email: agent.email, password: 'wrong-' + password })
        .expect(401);
      const cookie = await signIn(logged, agent.email, password);
      const token = (await logged.http().post('/api/visitor/token').send({}).expect(200)).body
        .token as string;
      await logged.http().post('/api/visitor/token').send({ token }).expect(200);
      await logged.http().get('/api/nothing').set('Cookie', cookie).expect(404);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries.filter((e) => e.msg === 'request').length).toBeGreaterThanOrEqual(5);
      expect(entries.every((e) => typeof e.level === 'string' && typeof e.time === 'string')).toBe(
        true,
      );
      const all = lines.join('\n');
      for (const secret of [password, cookie.split('=')[1]!, token, logged.config.dbPassword]) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await logged.close();
    }
  });
});
