import { newClientId } from '../../app/shared/clientIds.ts';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../app/log.ts';
import type { Ack } from '../../app/shared/protocol.ts';
import type { Db } from '../../app/storage/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  visitorToken,
  type AgentSocket,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';

// Well-known test numbers of four brands (never real cards).
export const TEST_CARDS = [
  '4111111111111111',
  '5555555555554444',
  '378282246310005',
  '6011111111111117',
];

type Ok<T> = Extract<Ack<T>, { ok: true }>;
export function ok<T>(reply: Ack<T>): Ok<T> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}: ${reply.error.message}`);
  return reply;
}

/** Every line Parley logs, at every level. */
export function allLogLines(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger('trace', 'parley-test', sink), lines };
}

export interface Sockets {
  close(): void;
  visitor(): Promise<VisitorSocket>;
  agent(
    role?: 'admin' | 'agent',
  ): Promise<{ socket: AgentSocket; email: string; password: string; cookie: string }>;
}

export function sockets(t: TestParley, db: Db): Sockets {
  const open: { disconnect(): unknown }[] = [];
  return {
    close: () => {
      for (const socket of open.splice(0)) socket.disconnect();
    },
    async visitor() {
      const socket = connectVisitor(t.url, await visitorToken(t));
      open.push(socket);
      await connected(socket);
      return socket;
    },
    async agent(role = 'admin') {
      const { agent, password } = await createAgent(db, { role });
      const cookie = await signIn(t, agent.email, password);
      const socket = connectAgent(t.url, cookie);
      open.push(socket);
      await connected(socket);
      return { socket, email: agent.email, password, cookie };
    },
  };
}

export const send = (socket: VisitorSocket | AgentSocket, chatId: number, body: string) =>
  (socket as VisitorSocket).emitWithAck('message:send', { chatId, clientId: newClientId(), body });

/** Every cell of every table of the database, as text (binary cells both as UTF-8 and hex). */
export async function dumpDatabase(db: Db): Promise<string[]> {
  const tables = (await db('information_schema.tables')
    .where('table_schema', db.raw('DATABASE()'))
    .pluck('table_name')) as string[];
  const cells: string[] = [];
  for (const table of tables) {
    const rows = (await db(table).select('*')) as Record<string, unknown>[];
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        if (Buffer.isBuffer(value))
          cells.push(`${table}.${column}=${value.toString('utf8')}`, value.toString('hex'));
        else if (typeof value === 'object')
          cells.push(`${table}.${column}=${JSON.stringify(value)}`);
        else if (typeof value === 'string') cells.push(`${table}.${column}=${value}`);
        else cells.push(`${table}.${column}=${JSON.stringify(value)}`);
      }
    }
  }
  return cells;
}

/** The text of every file under a directory (a missing directory holds nothing). */
export function readTree(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return readTree(path);
    const bytes = readFileSync(path);
    return [`${path}=${bytes.toString('utf8')}`, bytes.toString('latin1')];
  });
}

/** The texts that contain one of the needles, ignoring the separators people type between digit groups. */
export function containing(texts: string[], needles: string[]): string[] {
  const bare = (text: string) => text.replace(/[\s.\-\u00a0]/g, '');
  return texts.filter((text) => needles.some((needle) => bare(text).includes(bare(needle))));
}
