import type { Router } from '@koa/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, isPermission } from '../../app/shared/permissions.ts';
import { createHttpApp } from '../../app/http/app.ts';
import { declaredRoutes, routeKey } from '../../app/http/route.ts';
import { declaredEvents } from '../../app/socket/handle.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  startTestParley,
  visitorToken,
  type TestParley,
} from '../harness/parley.ts';

// Deny by default: a route or socket event that does not say what it requires must not exist.

let t: TestParley;
let db: Db;
beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});

function requirementsAreKnown(requirement: unknown): boolean {
  const list = Array.isArray(requirement) ? (requirement as string[]) : [requirement as string];
  return list.every(
    (item) => ['public', 'visitor', 'signedIn'].includes(item) || isPermission(item),
  );
}

describe('every HTTP route declares its requirement', () => {
  it('has no route in the router that was not added through declare()', () => {
    const app = createHttpApp(t.parley.services);
    const routers = app.middleware
      .map((middleware) => (middleware as { router?: Router }).router)
      .filter((router): router is Router => router !== undefined);
    expect(routers.length).toBeGreaterThan(0);
    const undeclared: string[] = [];
    for (const layer of routers.flatMap((router) => router.stack)) {
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
        const key = routeKey(method, String(layer.path));
        if (!declaredRoutes.has(key)) undeclared.push(key);
      }
    }
    expect(undeclared).toEqual([]);
    expect(declaredRoutes.size).toBeGreaterThan(5);
  });

  it('names only requirements from the catalogue', () => {
    const bad = [...declaredRoutes].filter(([, requirement]) => !requirementsAreKnown(requirement));
    expect(bad).toEqual([]);
    expect(ALL_PERMISSIONS.length).toBe(21);
  });
});

describe('every socket event declares its requirement', () => {
  it('has a declaration for each event a visitor or agent socket listens to', async () => {
    const { agent, password } = await createAgent(db);
    const cookie = await signIn(t, agent.email, password);
    const agentSocket = connectAgent(t.url, cookie);
    const visitorSocket = connectVisitor(t.url, await visitorToken(t));
    try {
      await Promise.all([connected(agentSocket), connected(visitorSocket)]);
      const undeclared: string[] = [];
      for (const namespace of ['/visitor', '/agent'] as const) {
        const [socket] = [...t.parley.sockets.io.of(namespace).sockets.values()];
        expect(socket, namespace).toBeDefined();
        // Socket.IO's own lifecycle events are not client events.
        const reserved = new Set(['error', 'disconnect', 'disconnecting']);
        for (const event of socket!.eventNames().filter((e) => !reserved.has(String(e)))) {
          const key = `${namespace} ${String(event)}`;
          if (!declaredEvents.has(key)) undeclared.push(key);
        }
      }
      expect(undeclared).toEqual([]);
      expect([...declaredEvents.values()].every(requirementsAreKnown)).toBe(true);
    } finally {
      agentSocket.disconnect();
      visitorSocket.disconnect();
    }
  });
});
