// The appliance test's checks, run on the host against the published ports of a `make install`ed stack.
//   node test/appliance/hostTest.ts converse --state FILE   readiness, redirect, UI, then a visitor and an
//                                                         agent talk over Socket.IO; FILE keeps the chat
//   node test/appliance/hostTest.ts verify --state FILE     after `make down` + `make up`: the same chat and
//                                                         messages are there and still deliver live
//   node test/appliance/hostTest.ts send --state FILE --body TEXT      the visitor sends one more message
//   node test/appliance/hostTest.ts messages --state FILE --count N    the chat holds exactly N messages,
//                                                         the first ones those FILE recorded (restores)
//   node test/appliance/hostTest.ts backups --state FILE --newest NAME [--alert TEXT]   Admin › Backups
//                                                         (the API) shows NAME, and an alert with TEXT
//                                                         (without --alert: no alert)
//   node test/appliance/hostTest.ts limits --state FILE     a visitor limit refuses (429) and is counted
//                                                         in Redis (Admin › Visitor limits)
//   node test/appliance/hostTest.ts upload|download --state FILE   a file in the chat (hostFiles.ts)
// Settings: --url https://127.0.0.1:9443 --http-url http://127.0.0.1:9080 --origin https://localhost:9443
//           --ca config/tls/ca.crt --email admin@parley.local --password-file <file>
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type {
  ChatView,
  MessageView,
  QueueEntry,
  VisitorTokenResponse,
} from '../../app/shared/protocol.ts';
import { nextEvent, type AgentSocket, type VisitorSocket } from '../harness/parley.ts';
import { check, hostClient, ok, type Reply } from './hostClient.ts';
import { download, upload } from './hostFiles.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: 'string' },
    url: { type: 'string', default: 'https://127.0.0.1:9443' },
    'http-url': { type: 'string', default: 'http://127.0.0.1:9080' },
    origin: { type: 'string', default: 'https://localhost:9443' },
    ca: { type: 'string' },
    email: { type: 'string', default: 'admin@parley.local' },
    'password-file': { type: 'string' },
    body: { type: 'string' },
    count: { type: 'string' },
    newest: { type: 'string' },
    alert: { type: 'string' },
  },
});
const phase = positionals[0];
const url = values.url;
const origin = values.origin;
const client = hostClient({
  url,
  origin,
  ca: values.ca ? readFileSync(values.ca, 'utf8') : undefined,
  email: values.email,
  passwordFile: values['password-file'],
});
const { call, visitorSocket, agentSocket, readiness, signIn } = client;

interface State {
  visitorToken: string;
  chatId: number;
  bodies: string[];
}

/** Issue 12: renewing one visitor token past its limit is refused (429, Retry-After), and counted. */
async function limits(): Promise<void> {
  const { token } = JSON.parse(
    (await call('POST', `${url}/api/visitor/token`, { body: {} })).body,
  ) as {
    token: string;
  };
  let refused: Reply | undefined;
  for (let i = 0; i < 200 && !refused; i += 1) {
    const reply = await call('POST', `${url}/api/visitor/token`, { body: { token } });
    if (reply.status === 429) refused = reply;
    else check(reply.status === 200, `a token renewal answered ${reply.status}: ${reply.body}`);
  }
  check(refused, 'renewing one visitor token 200 times was never refused');
  const error = (JSON.parse(refused.body) as { error: { id: string; retryAfter: number } }).error;
  check(error.id === 'too_many_requests', `the refusal was ${error.id}`);
  check(refused.headers['retry-after'] === String(error.retryAfter), 'no matching Retry-After');
  const cookie = await signIn();
  const report = await call('GET', `${url}/api/rate-limits`, { headers: { cookie, origin } });
  check(report.status === 200, `/api/rate-limits answered ${report.status}: ${report.body}`);
  const { counting, limits: rules } = JSON.parse(report.body) as {
    counting: string;
    limits: { id: string; refused: { visitor: number } }[];
  };
  const counted = rules.find((rule) => rule.id === 'token')?.refused.visitor ?? 0;
  check(counting === 'shared' && counted >= 1, `Admin › Visitor limits: ${report.body}`);
  console.log(
    `host-test: visitor limits in Redis: refused after renewals, Retry-After ${error.retryAfter} s, counted (${counted})`,
  );
}

async function converse(statePath: string): Promise<void> {
  await readiness();
  const redirect = await call('GET', `${values['http-url']}/some/page`);
  check(
    redirect.status === 308 && redirect.headers.location === `${origin}/some/page`,
    `the HTTP port answered ${redirect.status} ${String(redirect.headers.location)}, not a redirect to ${origin}`,
  );
  const consolePage = await call('GET', `${url}/`);
  check(consolePage.status === 200 && consolePage.body.includes('<'), 'the console is not served');
  const widget = await call('GET', `${url}/widget.js`);
  check(widget.status === 200, `/widget.js answered ${widget.status}`);
  console.log('host-test: HTTP redirects to HTTPS; the console and widget are served');

  const agent = await agentSocket(await signIn());
  const tokenReply = await call('POST', `${url}/api/visitor/token`, { body: {} });
  check(tokenReply.status === 200, `visitor token answered ${tokenReply.status}`);
  const { token } = JSON.parse(tokenReply.body) as VisitorTokenResponse;
  const visitor = await visitorSocket(token);

  const queued = nextEvent<QueueEntry[]>(agent, 'queue:updated', (q) => q.length > 0);
  const question = 'Is my conversation kept when the appliance restarts?';
  const { chat } = ok(
    await visitor.emitWithAck('chat:start', { name: 'Appliance Test', question }),
    'chat:start',
  );
  check(
    (await queued).some((entry) => entry.chatId === chat.id),
    'the agent never saw the chat',
  );
  const active = nextEvent<ChatView>(visitor, 'chat:updated', (c) => c.status === 'active');
  ok(await agent.emitWithAck('chat:accept', { chatId: chat.id }), 'chat:accept');
  await active;

  const bodies = [question];
  const exchange = [
    { from: visitor as VisitorSocket | AgentSocket, to: agent, body: 'Hello from the visitor.' },
    { from: agent, to: visitor, body: 'Hello from the agent, over the appliance.' },
  ];
  for (const { from, to, body } of exchange) {
    const delivered = nextEvent<MessageView>(to, 'message:new', (m) => m.body === body);
    ok(
      await (from as VisitorSocket).emitWithAck('message:send', {
        chatId: chat.id,
        clientId: randomUUID(),
        body,
      }),
      'message:send',
    );
    await delivered;
    bodies.push(body);
  }
  visitor.disconnect();
  agent.disconnect();
  const state: State = { visitorToken: token, chatId: chat.id, bodies };
  writeFileSync(statePath, JSON.stringify(state), { mode: 0o600 });
  console.log(`host-test: chat ${chat.id}: visitor and agent exchanged messages live`);
}

async function verify(statePath: string): Promise<void> {
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
  await readiness();
  const visitor = await visitorSocket(state.visitorToken);
  const synced = ok(
    await visitor.emitWithAck('chat:sync', { chatId: state.chatId, afterSeq: 0 }),
    'chat:sync',
  );
  const seen = synced.messages.map((m) => m.body);
  check(
    JSON.stringify(seen) === JSON.stringify(state.bodies),
    `after the restart the visitor sees ${JSON.stringify(seen)}, expected ${JSON.stringify(state.bodies)}`,
  );
  const agent = await agentSocket(await signIn());
  const mine = ok(await agent.emitWithAck('chat:mine', {}), 'chat:mine');
  check(
    mine.chats.some((c) => c.id === state.chatId && c.status === 'active'),
    'the agent lost the chat',
  );
  const body = 'Still here after the restart.';
  const delivered = nextEvent<MessageView>(visitor, 'message:new', (m) => m.body === body);
  ok(
    await agent.emitWithAck('message:send', { chatId: state.chatId, clientId: randomUUID(), body }),
    'message:send',
  );
  await delivered;
  ok(await visitor.emitWithAck('chat:end', { chatId: state.chatId }), 'chat:end');
  visitor.disconnect();
  agent.disconnect();
  console.log(
    `host-test: chat ${state.chatId} survived make down/up with its ${seen.length} messages`,
  );
}

async function send(statePath: string, body: string): Promise<void> {
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
  const visitor = await visitorSocket(state.visitorToken);
  ok(
    await visitor.emitWithAck('message:send', {
      chatId: state.chatId,
      clientId: randomUUID(),
      body,
    }),
    'message:send',
  );
  visitor.disconnect();
  console.log(`host-test: chat ${state.chatId}: the visitor sent ${JSON.stringify(body)}`);
}

async function messages(statePath: string, count: number): Promise<void> {
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
  const visitor = await visitorSocket(state.visitorToken);
  const synced = ok(
    await visitor.emitWithAck('chat:sync', { chatId: state.chatId, afterSeq: 0 }),
    'chat:sync',
  );
  visitor.disconnect();
  const seen = synced.messages.map((m) => m.body);
  check(
    seen.length === count &&
      JSON.stringify(seen.slice(0, state.bodies.length)) === JSON.stringify(state.bodies),
    `chat ${state.chatId} holds ${JSON.stringify(seen)}, expected ${count} messages starting with ${JSON.stringify(state.bodies)}`,
  );
  console.log(`host-test: chat ${state.chatId} holds the ${count} messages expected`);
}

async function backups(newest: string, alert: string | undefined): Promise<void> {
  const cookie = await signIn();
  const reply = await call('GET', `${url}/api/backups/status`, { headers: { cookie, origin } });
  check(reply.status === 200, `/api/backups/status answered ${reply.status}: ${reply.body}`);
  const status = JSON.parse(reply.body) as {
    lastBackup: { name: string } | null;
    alerts: string[];
  };
  check(
    status.lastBackup?.name === newest,
    `Admin › Backups shows the newest backup ${status.lastBackup?.name ?? 'none'}, not ${newest}`,
  );
  check(
    alert === undefined
      ? status.alerts.length === 0
      : status.alerts.some((line) => line.includes(alert)),
    `Admin › Backups shows the alerts ${JSON.stringify(status.alerts)}, expected ${alert === undefined ? 'none' : `one with "${alert}"`}`,
  );
  console.log(
    `host-test: Admin › Backups: newest ${newest}; alerts: ${JSON.stringify(status.alerts)}`,
  );
}

const statePath = values.state;
try {
  check(statePath, '--state FILE is required');
  if (phase === 'converse') await converse(statePath);
  else if (phase === 'verify') await verify(statePath);
  else if (phase === 'send' && values.body) await send(statePath, values.body);
  else if (phase === 'messages' && values.count) await messages(statePath, Number(values.count));
  else if (phase === 'backups' && values.newest) await backups(values.newest, values.alert);
  else if (phase === 'limits') await limits();
  else if (phase === 'upload') await upload(client, url, origin, statePath);
  else if (phase === 'download') await download(client, url, origin, statePath);
  else
    throw new Error(
      'usage: hostTest.ts converse|verify|send --body TEXT|messages --count N|backups --newest NAME [--alert TEXT]|limits|upload|download --state FILE [options]',
    );
} catch (error) {
  console.error(`host-test: FAILED: ${(error as Error).message}`);
  process.exitCode = 1;
}
// Sockets are closed above; nothing else should keep the process alive.
process.exit();
