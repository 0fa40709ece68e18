import { readFileSync } from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import type {
  AgentClientEvents,
  AgentServerEvents,
  VisitorClientEvents,
  VisitorServerEvents,
} from '../../app/shared/protocol.ts';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../app/log.ts';
import { startParley, type RunningParley } from '../../app/server.ts';
import type { Config } from '../../config/load.ts';
import { TEST_ORIGIN, WIDGET_ORIGIN, devEnv, testConfig } from './config.ts';

export type VisitorSocket = Socket<VisitorServerEvents, VisitorClientEvents>;
export type AgentSocket = Socket<AgentServerEvents, AgentClientEvents>;

export const caCert = () =>
  readFileSync(devEnv().PARLEY_TLS_CERT_FILE!.replace(/server\.crt$/, 'ca.crt'));

export interface TestParley {
  parley: RunningParley;
  config: Config;
  url: string;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/** A real Parley (HTTPS + Socket.IO) on an ephemeral port against the test database. */
export async function startTestParley(
  overrides: Record<string, string> = {},
  log?: Logger,
): Promise<TestParley> {
  const config = testConfig(overrides);
  const parley = await startParley(config, log ?? createLogger(config.env.PARLEY_LOG_LEVEL));
  const url = `https://127.0.0.1:${parley.httpsPort}`;
  const ca = caCert();
  return {
    parley,
    config,
    url,
    http: () => request.agent(url, { ca }),
    close: () => parley.close(),
  };
}

/** Signs an agent in over HTTPS and returns the session cookie header value. */
export async function signIn(t: TestParley, email: string, password: string): Promise<string> {
  const res = await t
    .http()
    .post('/api/agent/session')
    .set('Origin', TEST_ORIGIN)
    .send({ email, password })
    .expect(200);
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
  if (!cookie) throw new Error('no session cookie');
  return cookie.split(';')[0]!;
}

export async function visitorToken(t: TestParley): Promise<string> {
  const res = await t.http().post('/api/visitor/token').send({}).expect(200);
  return (res.body as { token: string }).token;
}

const clientOptions = (extra: Record<string, unknown>) => ({
  ca: caCert().toString('utf8'),
  reconnection: false,
  forceNew: true,
  ...extra,
});

export function connectVisitor(
  url: string,
  token: string,
  extra: Record<string, unknown> = {},
): VisitorSocket {
  return io(`${url}/visitor`, clientOptions({ auth: { token }, ...extra }));
}

export function connectAgent(
  url: string,
  cookie: string,
  extra: Record<string, unknown> = {},
): AgentSocket {
  return io(
    `${url}/agent`,
    clientOptions({ extraHeaders: { cookie, origin: TEST_ORIGIN }, ...extra }),
  );
}

/** Resolves when connected; rejects with the handshake error (its `data.id`). */
export function connected(socket: Socket): Promise<void> {
  if (socket.connected) return Promise.resolve(); // it may have connected while the caller awaited
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error: Error & { data?: { id?: string } }) => reject(error));
  });
}

/** A visitor's chat, started and waiting for an agent: its id, the visitor's token and socket. */
export async function startVisitorChat(
  t: TestParley,
): Promise<{ chatId: number; token: string; socket: VisitorSocket }> {
  const token = await visitorToken(t);
  const socket = connectVisitor(t.url, token);
  await connected(socket);
  const started = await socket.emitWithAck('chat:start', { name: 'Ada' });
  if (!started.ok) {
    socket.disconnect();
    throw new Error(started.error.id);
  }
  return { chatId: started.chat.id, token, socket };
}

/** A visitor's upload to their chat: the raw body, the name percent-encoded in its header. */
export function visitorUpload(
  t: TestParley,
  chat: { chatId: number; token: string },
  name: string,
  data: Buffer,
) {
  return t
    .http()
    .post(`/api/visitor/chats/${chat.chatId}/files`)
    .set('Origin', WIDGET_ORIGIN)
    .set('Authorization', `Bearer ${chat.token}`)
    .set('Content-Type', 'application/octet-stream')
    .set('X-Parley-File-Name', encodeURIComponent(name))
    .send(data);
}

/** The next occurrence of an event (optionally the first that matches). */
export function nextEvent<T>(
  socket: Socket,
  event: string,
  match: (value: T) => boolean = () => true,
  ms = 5000,
) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const listener = (value: T) => {
      if (!match(value)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(value);
    };
    socket.on(event, listener);
  });
}

/** A logger with Parley's settings that keeps every line it writes, for tests that read the logs. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger('info', 'parley-test', sink), lines };
}
