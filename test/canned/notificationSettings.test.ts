import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFICATION_SETTINGS } from '../../app/shared/agentNotifications.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { agentWith, auditOf } from './helpers.ts';

// Agent notification settings (issue 14): stored on the server, each agent's own only.

let t: TestParley;
let db: Db;
const path = '/api/agent/notification-settings';

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({ PARLEY_HTTP_REDIRECT: 'false' });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(() => truncateAll(db));

describe('notification settings', () => {
  it('start at the defaults, are saved, and are each agent’s own', async () => {
    const ann = await agentWith(t, db, 'agent');
    const bob = await agentWith(t, db, 'agent');
    expect((await ann.as.get(path).expect(200)).body.settings).toEqual(
      DEFAULT_NOTIFICATION_SETTINGS,
    );

    const chosen = {
      offer: { sound: true, desktop: false },
      queue: { sound: false, desktop: false },
      message: { sound: false, desktop: true },
    };
    expect((await ann.as.put(path, chosen).expect(200)).body.settings).toEqual(chosen);
    expect((await ann.as.get(path).expect(200)).body.settings).toEqual(chosen);
    // Bob's are untouched, and Bob's change does not reach Ann's.
    expect((await bob.as.get(path).expect(200)).body.settings).toEqual(
      DEFAULT_NOTIFICATION_SETTINGS,
    );
    await bob.as.put(path, { ...chosen, offer: { sound: false, desktop: false } }).expect(200);
    expect((await ann.as.get(path).expect(200)).body.settings).toEqual(chosen);
    const rows = await db('agent_notification_settings').orderBy('agent_id').select('agent_id');
    expect(rows.map((r) => Number(r.agent_id))).toEqual([ann.agent.id, bob.agent.id]);

    const [entry] = await auditOf(db, 'notification_settings.update');
    expect(entry).toMatchObject({ actor_id: ann.agent.id, target_id: String(ann.agent.id) });
  });

  it('cannot name another agent, and refuses what is not the schema or not signed in', async () => {
    const ann = await agentWith(t, db, 'agent');
    const bob = await agentWith(t, db, 'agent');
    const full = DEFAULT_NOTIFICATION_SETTINGS;
    for (const bad of [
      { ...full, agentId: bob.agent.id },
      { ...full, offer: { sound: 'yes', desktop: true } },
      { offer: full.offer, queue: full.queue },
    ])
      expect((await ann.as.put(path, bad).expect(400)).body.error.id).toBe('invalid_input');
    await ann.as.get(`${path}?agentId=${bob.agent.id}`).expect(400);
    await t.http().get(path).expect(401);
    await t.http().put(path).send(full).expect(401);
    expect(await db('agent_notification_settings').count({ n: '*' }).first()).toEqual({ n: 0 });
  });
});
