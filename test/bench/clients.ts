import { Agent, request } from 'node:https';
import type { Ack, ChatView, MessageView } from '../../app/shared/protocol.ts';
import {
  caCert,
  connectAgent,
  connectVisitor,
  connected,
  type AgentSocket,
  type VisitorSocket,
} from '../harness/parley.ts';
import type { Ready } from './child.ts';

/** How the bench clients get their credentials: real ones from Parley, none for the bare relay. */
export interface Target {
  name: string;
  url: string;
  visitorToken(): Promise<string>;
  agentCookie(index: number): Promise<string>;
}

export interface Fleet {
  visitors: VisitorSocket[];
  agents: AgentSocket[];
  /** chatIds[i] is the chat of visitors[i]. */
  chatIds: number[];
  /** Every message:new an agent socket receives goes here; the load phase sets it. */
  onDelivery: (message: MessageView) => void;
  close(): void;
}

function postJson(url: string, path: string, body: unknown, agent: Agent, headers = {}) {
  return new Promise<{ status: number; cookie: string | undefined; body: unknown }>(
    (resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(
        new URL(path, url),
        {
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'application/json', ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              cookie: res.headers['set-cookie']?.[0]?.split(';')[0],
              body: text ? (JSON.parse(text) as unknown) : null,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    },
  );
}

export function parleyTarget(ready: Ready): Target {
  const url = `https://127.0.0.1:${ready.port}`;
  const agent = new Agent({ ca: caCert(), keepAlive: true, maxSockets: 8 });
  return {
    name: 'parley',
    url,
    async visitorToken() {
      const res = await postJson(url, '/api/visitor/token', {}, agent);
      if (res.status !== 200) throw new Error(`visitor token: HTTP ${res.status}`);
      return (res.body as { token: string }).token;
    },
    async agentCookie(index) {
      const credentials = ready.agents[index];
      if (!credentials) throw new Error(`no bench agent ${index}`);
      const res = await postJson(url, '/api/agent/session', credentials, agent, {
        Origin: ready.origin,
      });
      if (res.status !== 200 || !res.cookie) throw new Error(`agent sign-in: HTTP ${res.status}`);
      return res.cookie;
    },
  };
}

export function bareTarget(ready: Ready): Target {
  return {
    name: 'bare',
    url: `https://127.0.0.1:${ready.port}`,
    visitorToken: () => Promise.resolve('none'),
    agentCookie: () => Promise.resolve('none'),
  };
}

function ok<T>(reply: Ack<T>, what: string): T {
  if (!reply.ok) throw new Error(`${what}: ${reply.error.id} ${reply.error.message}`);
  return reply;
}

/** Runs `work` over 0..count-1 with at most `limit` at a time. */
async function eachLimited(count: number, limit: number, work: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

// The bench forces the websocket transport (no long-polling upgrade): fine for a measurement,
// never for the widget.
const transport = { transports: ['websocket'] };

/** Agents sign in and connect; each visitor connects and starts a chat; agent i % agents accepts chat i. */
export async function connectFleet(target: Target, chats: number, agentCount: number) {
  const fleet: Fleet = {
    visitors: [],
    agents: [],
    chatIds: [],
    onDelivery: () => undefined,
    close() {
      for (const socket of [...this.visitors, ...this.agents]) socket.disconnect();
    },
  };
  try {
    await eachLimited(agentCount, 4, async (i) => {
      const socket = connectAgent(target.url, await target.agentCookie(i), transport);
      fleet.agents[i] = socket;
      await connected(socket);
      socket.on('message:new', (message) => fleet.onDelivery(message));
    });
    await eachLimited(chats, 16, async (i) => {
      const socket = connectVisitor(target.url, await target.visitorToken(), transport);
      fleet.visitors[i] = socket;
      await connected(socket);
      const reply = await socket.emitWithAck('chat:start', { name: `Bench visitor ${i}` });
      fleet.chatIds[i] = ok<{ chat: ChatView }>(reply, 'chat:start').chat.id;
    });
    await eachLimited(chats, agentCount, async (i) => {
      const agent = fleet.agents[i % agentCount]!;
      const reply = await agent.emitWithAck('chat:accept', { chatId: fleet.chatIds[i]! });
      ok<{ chat: ChatView }>(reply, 'chat:accept');
    });
  } catch (error) {
    fleet.close();
    throw error;
  }
  return fleet;
}
