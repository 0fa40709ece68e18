// The appliance test's client for the published ports of a `make install`ed stack: HTTPS (and the
// HTTP redirect) with the install's CA, Socket.IO as the visitor and as an agent, and signing in.
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { io } from 'socket.io-client';
import type { Ack, SignInResponse } from '../../app/shared/protocol.ts';
import { connected, type AgentSocket, type VisitorSocket } from '../harness/parley.ts';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HostSettings {
  /** The published HTTPS address, e.g. https://127.0.0.1:9443. */
  url: string;
  /** The public origin the certificate names, e.g. https://localhost:9443. */
  origin: string;
  /** PEM of the CA that signed the install's certificate. */
  ca?: string;
  email: string;
  passwordFile?: string;
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function ok<T>(reply: Ack<T>, what: string): Extract<Ack<T>, { ok: true }> {
  if (!reply.ok) throw new Error(`${what}: ${reply.error.id}: ${reply.error.message}`);
  return reply;
}

export function hostClient({ url, origin, ca, email, passwordFile }: HostSettings) {
  // The certificate names the public host; the test connects to the published address.
  const servername = new URL(origin).hostname;

  function call(
    method: string,
    target: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const address = new URL(target);
    const raw = Buffer.isBuffer(options.body);
    const payload =
      options.body === undefined || raw
        ? (options.body as Buffer | undefined)
        : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined)
      headers['Content-Type'] = raw ? 'application/octet-stream' : 'application/json';
    return new Promise((resolve, reject) => {
      const done = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      };
      const req =
        address.protocol === 'https:'
          ? httpsRequest(address, { method, headers, ca, servername, timeout: 10_000 }, done)
          : httpRequest(address, { method, headers, timeout: 10_000 }, done);
      req.on('timeout', () => req.destroy(new Error(`${method} ${target} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  const socketOptions = (extra: Record<string, unknown>) => ({
    ca,
    servername,
    reconnection: false,
    forceNew: true,
    ...extra,
  });

  async function visitorSocket(token: string): Promise<VisitorSocket> {
    const socket: VisitorSocket = io(`${url}/visitor`, socketOptions({ auth: { token } }));
    await connected(socket);
    return socket;
  }

  async function agentSocket(cookie: string): Promise<AgentSocket> {
    const socket: AgentSocket = io(
      `${url}/agent`,
      socketOptions({ extraHeaders: { cookie, origin } }),
    );
    await connected(socket);
    return socket;
  }

  async function readiness(): Promise<void> {
    const reply = await call('GET', `${url}/readyz`);
    const ready = JSON.parse(reply.body) as {
      checks: {
        database: { up: boolean };
        clamd: { up: boolean; version?: string };
        redis: { state: string; limits: string };
      };
    };
    check(reply.status === 200, `/readyz answered ${reply.status}: ${reply.body}`);
    check(ready.checks.database.up, 'readiness: the database is not up');
    check(ready.checks.clamd.up, 'readiness: clamd is not up');
    check(ready.checks.redis.limits === 'shared', `readiness: redis ${ready.checks.redis.state}`);
    console.log(
      `host-test: /readyz ready: database up, clamd up (${ready.checks.clamd.version}), redis up`,
    );
  }

  async function signIn(): Promise<string> {
    check(passwordFile, '--password-file is required');
    const password = readFileSync(passwordFile, 'utf8').trim();
    const reply = await call('POST', `${url}/api/agent/session`, {
      body: { email, password },
      headers: { Origin: origin },
    });
    check(reply.status === 200, `sign-in answered ${reply.status}: ${reply.body}`);
    const agent = (JSON.parse(reply.body) as SignInResponse).agent;
    const cookie = ([] as string[]).concat(reply.headers['set-cookie'] ?? [])[0]?.split(';')[0];
    check(cookie, 'sign-in set no session cookie');
    console.log(`host-test: signed in as ${agent.email} (${agent.role})`);
    return cookie;
  }

  return { call, visitorSocket, agentSocket, readiness, signIn };
}
