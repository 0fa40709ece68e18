import { WIDGET_ORIGIN } from '../../harness/config.ts';
import { createAgent } from '../../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  visitorToken,
  type TestParley,
} from '../../harness/parley.ts';
import { enrol } from '../../signin/helpers.ts';
import { agentChatInputPaths } from './agentChatInputs.ts';
import type { Db } from '../../../app/storage/db.ts';
import { refuseOfferPath } from './routingPath.ts';

// Every input path from outside that can carry text into storage, each sending card numbers
// (issue 12): socket events, HTTP bodies, query strings that get recorded, headers. Each path is
// named by a tag that travels with the card numbers, so the test can find where each one landed.

/** Well-known test numbers (never real cards), in the forms the paths type them. */
export const CARDS = [
  '4111111111111111',
  '5555555555554444',
  '6011111111111117',
  '378282246310005',
];
/** Short enough for a 100-character name with its tag. */
const SHORT = `+${CARDS[0]} ${CARDS[1]!.replace(/(\d{4})(?=\d)/g, '$1 ')} cvv 737`;
const LONG = `${SHORT} ${CARDS[2]!.replace(/(\d{4})(?=\d)/g, '$1-')} ${CARDS[3]}`;
export const text = (tag: string, long = false) => `${tag} ${long ? LONG : SHORT}`;
const email = (tag: string) => `${tag}+${CARDS[0]}@bank.test`;
const userAgent = (tag: string) => `Mozilla/5.0 (${tag}; ${CARDS[1]}) +${CARDS[0]}`;

export interface PathOutcomes {
  /** Tags whose input was accepted (and so must be stored masked). */
  written: Set<string>;
  /** Tags whose input was refused, with the error id it was refused with. */
  refused: Map<string, string>;
}

type Reply = { ok: boolean; error?: { id: string } };

export async function runInputPaths(t: TestParley, db: Db): Promise<PathOutcomes> {
  const out: PathOutcomes = { written: new Set(), refused: new Map() };
  const outcome = (tag: string, status: number, errorId?: string) => {
    if (status < 300) out.written.add(tag);
    else out.refused.set(tag, errorId ?? String(status));
  };
  const ack = (tag: string, reply: Reply) =>
    outcome(tag, reply.ok ? 200 : 400, reply.ok ? undefined : reply.error?.id);

  // --- An admin signs in with a user agent holding card numbers (session row, audit entry).
  const { agent: admin, password } = await createAgent(db, { role: 'admin' });
  const signedIn = await t
    .http()
    .post('/api/agent/session')
    .set('Origin', t.config.publicOrigin)
    .set('User-Agent', userAgent('ua-signin'))
    .send({ email: admin.email, password });
  outcome('ua-signin', signedIn.status);
  const cookie = ([] as string[]).concat(signedIn.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
  const api = (method: 'post' | 'put' | 'patch' | 'get', path: string, tag: string, body = {}) => {
    const client = t.http();
    return client[method](path)
      .set('Cookie', cookie)
      .set('Origin', t.config.publicOrigin)
      .send(body)
      .then((res) => {
        outcome(tag, res.status, (res.body as { error?: { id: string } }).error?.id);
        return res;
      });
  };

  // --- Sign-in typed by anyone on the internet: an email that belongs to no account. Counted per
  // address (no email kept); refused by an IP allow-list, the typed email is the entry's actor.
  const typedSignIn = () =>
    t
      .http()
      .post('/api/agent/session')
      .set('Origin', t.config.publicOrigin)
      .send({ email: email('typed-email'), password: 'not the password at all' });
  if ((await typedSignIn()).status !== 401) throw new Error('an unknown account signed in');
  const [ruleId] = await db('ip_rules').insert({ scope: 'global', cidr: '198.51.100.0/24' });
  t.parley.services.ipRules.invalidate();
  outcome('typed-email', (await typedSignIn()).status === 403 ? 200 : 500);
  await db('ip_rules').where({ id: ruleId }).delete();
  t.parley.services.ipRules.invalidate();

  // --- A TOTP sign-in leaves a pending row with the user agent until the code comes.
  const { agent: second, password: secondPassword } = await createAgent(db);
  await enrol(t, await signIn(t, second.email, secondPassword));
  const pending = await t
    .http()
    .post('/api/agent/session')
    .set('Origin', t.config.publicOrigin)
    .set('User-Agent', userAgent('ua-totp'))
    .send({ email: second.email, password: secondPassword });
  outcome('ua-totp', pending.status);

  // --- What admins type: organisation, roles, grants, IP rules.
  const department = await api('post', '/api/departments', 'dept-name', {
    name: text('dept-name'),
    description: text('dept-desc', true),
  });
  outcome('dept-desc', department.status);
  const departmentId = (department.body as { department: { id: number } }).department.id;
  await api('put', `/api/departments/${departmentId}/offer`, 'dept-visitor-name', {
    visitorName: text('dept-visitor-name').slice(0, 100),
    offered: false,
  });
  await api('post', '/api/groups', 'group-name', {
    name: text('group-name'),
    description: text('group-desc', true),
  }).then((res) => outcome('group-desc', res.status));
  const created = await api('post', '/api/agents', 'agent-name', {
    name: text('agent-name'),
    email: `plain-${Date.now()}@bank.test`,
    role: 'agent',
  });
  const newAgentId = (created.body as { agent: { id: number } }).agent.id;
  await api('patch', `/api/agents/${second.id}`, 'agent-rename', { name: text('agent-rename') });
  await api('post', '/api/agents', 'agent-email', {
    name: 'Someone',
    email: email('agent-email'),
    role: 'agent',
  });
  await api('post', '/api/agents', 'agent-role', {
    name: 'Someone',
    email: `role-${Date.now()}@bank.test`,
    role: `r${CARDS[0]}`,
  });
  await api('post', '/api/roles', 'role-name', { name: `r${CARDS[1]}` });
  await api('post', '/api/roles', 'role-desc', {
    name: 'night-desk',
    description: text('role-desc', true),
  });
  await api('post', '/api/grants', 'grant-role', {
    permission: 'chats.accept',
    role: `r${CARDS[2]}`,
    scope: 'all',
  });
  await api('post', '/api/ip-rules', 'rule-note', {
    scope: 'agent',
    agentId: newAgentId,
    cidr: '198.51.100.0/24',
    note: text('rule-note', true).slice(0, 200),
  });
  await api('post', '/api/ip-rules', 'rule-role', {
    scope: 'role',
    role: `r${CARDS[3]}`,
    cidr: '198.51.100.0/24',
  });
  await api('post', '/api/ip-rules', 'rule-cidr', { scope: 'global', cidr: CARDS[0] });

  // --- Canned messages (issue 14): a global one, a personal one, an edit, a shortcut refused.
  const canned = await api('post', '/api/canned-messages', 'canned-title', {
    scope: 'global',
    title: text('canned-title').slice(0, 100),
    text: text('canned-text', true),
    shortcut: 'greet',
  });
  outcome('canned-text', canned.status);
  const cannedId = (canned.body as { cannedMessage: { id: number } }).cannedMessage.id;
  await api('patch', `/api/canned-messages/${cannedId}`, 'canned-text-edited', {
    text: text('canned-text-edited', true),
  });
  await api('post', '/api/canned-messages', 'canned-title-personal', {
    scope: 'personal',
    title: text('canned-title-personal').slice(0, 100),
    text: 'Hello {visitor.name|there}',
    shortcut: 'hello',
  });
  await api('post', '/api/canned-messages', 'canned-shortcut', {
    scope: 'personal',
    title: 'Card',
    text: 'Card',
    shortcut: `c${CARDS[0]}`,
  });

  // --- A visitor: pre-chat form, a message, a file (name and client id in headers).
  const token = await visitorToken(t);
  const visitor = connectVisitor(t.url, token);
  await connected(visitor);
  const started = (await visitor.emitWithAck('chat:start', {
    name: text('prechat-name').slice(0, 100),
    email: email('prechat-email'),
    question: text('prechat-question', true),
  })) as Reply & { chat: { id: number } };
  for (const tag of ['prechat-name', 'prechat-email', 'prechat-question']) ack(tag, started);
  const chatId = started.chat.id;

  // --- The agent's socket, its handshake with a user agent holding card numbers (chat.accept).
  const agentSocket = connectAgent(t.url, cookie, {
    extraHeaders: { cookie, origin: t.config.publicOrigin, 'user-agent': userAgent('ua-socket') },
  });
  await connected(agentSocket);
  ack('ua-socket', await agentSocket.emitWithAck('chat:accept', { chatId }));

  const send = (socket: typeof visitor, tag: string, clientId: string, body: string) =>
    socket
      .emitWithAck('message:send', { chatId, clientId, body })
      .then((r) => ack(tag, r as Reply));
  await send(visitor, 'visitor-message', `visitor_${Date.now()}`, text('visitor-message', true));
  await send(agentSocket, 'agent-message', `agent_${Date.now()}`, text('agent-message', true));
  await send(visitor, 'client-id', `id-${CARDS[0]}`, 'hello');

  const upload = (tag: string, name: string, clientId?: string) => {
    const req = t
      .http()
      .post(`/api/visitor/chats/${chatId}/files`)
      .set('Origin', WIDGET_ORIGIN)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/octet-stream')
      .set('User-Agent', userAgent(tag === 'file-name' ? 'ua-upload' : tag))
      .set('X-Parley-File-Name', encodeURIComponent(name));
    if (clientId) void req.set('X-Parley-Client-Id', clientId);
    return req.send(Buffer.from(`plain text ${tag}\n`)).then((res) => {
      outcome(tag, res.status, (res.body as { error?: { id: string } }).error?.id);
      return res;
    });
  };
  const shared = await upload('file-name', `${text('file-name')}.txt`);
  outcome('ua-upload', shared.status);
  await upload('upload-client-id', 'note.txt', `up_${CARDS[1]}`);

  // --- Legal holds with a reason, and an audit export whose query is recorded.
  await api('put', `/api/chats/${chatId}/legal-hold`, 'hold-reason-chat', {
    hold: true,
    reason: text('hold-reason-chat', true),
  });
  const visitorId: { visitor_id: string } = await db('chats')
    .where({ id: chatId })
    .first('visitor_id');
  await api('put', `/api/visitors/${visitorId.visitor_id}/legal-hold`, 'hold-reason-visitor', {
    hold: true,
    reason: text('hold-reason-visitor', true),
  });
  await t
    .http()
    .get('/api/audit/export')
    .query({ format: 'json', q: text('audit-query') })
    .set('Cookie', cookie)
    .then((res) => outcome('audit-query', res.status));

  await agentChatInputPaths(t, db, cookie, ack, {
    message: text('agent-chat-message', true),
    clientId: `id-${CARDS[0]}`,
  });

  await refuseOfferPath(t, db, { id: admin.id, socket: agentSocket }, ack, text('offer-refusal'));
  visitor.disconnect();
  agentSocket.disconnect();
  return out;
}
