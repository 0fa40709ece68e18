import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { checkPayloadShape, MAX_PAYLOAD_DEPTH } from '../../app/domain/input.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import {
  capturingLogger,
  connectVisitor,
  connected,
  startTestParley,
  visitorToken,
  type TestParley,
  type VisitorSocket,
} from '../harness/parley.ts';

// Issue 12: a payload nested thousands of levels deep (under the size limit) is refused as
// invalid_input, costs no stack, and logs nothing; the connection stays usable.

let t: TestParley;
let db: Db;
const logs = capturingLogger();

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  t = await startTestParley({}, logs.log);
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

interface Engine {
  write(packet: string): void;
  on(event: 'message', listener: (data: string) => void): void;
  off(event: 'message', listener: (data: string) => void): void;
}

/**
 * Sends an event as raw Socket.IO text (the client library's own encoder would overflow its stack
 * on such a payload before sending it) and waits for the acknowledgement with that id.
 */
function rawEmit(socket: VisitorSocket, id: number, event: string, json: string) {
  const engine = (socket.io as unknown as { engine: Engine }).engine;
  return new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack ${id}`)), 5000);
    const listener = (data: string) => {
      const prefix = `3/visitor,${id}`;
      if (!data.startsWith(prefix)) return;
      clearTimeout(timer);
      engine.off('message', listener);
      resolve((JSON.parse(data.slice(prefix.length)) as unknown[])[0]);
    };
    engine.on('message', listener);
    engine.write(`2/visitor,${id}["${event}",${json}]`);
  });
}

describe('deeply nested payloads (issue 12)', () => {
  it('measures size and depth without recursion', () => {
    expect(() => checkPayloadShape(JSON.parse(deepArray(100_000)), 1_000_000)).toThrow(
      /nests deeper than 32 levels/,
    );
    const shallow = { chatId: 1, body: 'x'.repeat(100), list: [1, 'two', null, { a: true }] };
    expect(() => checkPayloadShape(shallow, 10_000)).not.toThrow();
    const exact = Buffer.byteLength(JSON.stringify(shallow));
    expect(() => checkPayloadShape(shallow, exact)).not.toThrow();
    expect(() => checkPayloadShape(shallow, exact - 1)).toThrow(/larger than the limit/);
    const nested = JSON.parse(deepObject(MAX_PAYLOAD_DEPTH)) as unknown;
    expect(() => checkPayloadShape(nested, 10_000)).not.toThrow();
  });

  it('answers a socket event nested 5,000 levels deep with invalid_input and logs nothing', async () => {
    const socket = connectVisitor(t.url, await visitorToken(t));
    await connected(socket);
    const before = logs.lines.length;
    for (const [i, json] of [deepArray(5000), deepObject(2500)].entries()) {
      expect(json.length).toBeLessThan(t.config.env.PARLEY_SOCKET_PAYLOAD_MAX_BYTES);
      const reply = await rawEmit(socket, 900 + i, 'chat:start', json);
      expect(reply).toMatchObject({ ok: false, error: { id: 'invalid_input' } });
    }
    // The same connection still works, and nothing was logged for the refused packets.
    const listed = await socket.emitWithAck('chat:list', {});
    expect(listed).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
    expect(logs.lines.slice(before).filter((line) => /"level":"(error|warn)"/.test(line))).toEqual(
      [],
    );
    socket.disconnect();
  });

  it('answers an HTTP body nested 10,000 levels deep with invalid_input', async () => {
    const before = logs.lines.length;
    const res = await t
      .http()
      .post('/api/agent/session')
      .set('Origin', TEST_ORIGIN)
      .set('Content-Type', 'application/json')
      .send(`{"email":${deepArray(10_000)},"password":"x"}`);
    expect(res.status).toBe(400);
    expect(res.body.error.id).toBe('invalid_input');
    expect(logs.lines.slice(before).filter((line) => /"level":"error"/.test(line))).toEqual([]);
  });
});
