// Capacity and chats routing gave up on, in a real browser (issue 14): an admin sets a role's
// default capacity in Admin › Roles and an agent's own limit in Admin › Routing, each refusing a bad
// value with a message; the live board marks a chat refused as often as its rule allows.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { setRule } from '../routing/helpers.ts';
import { expectText, screenshot } from './browser.ts';
import { browserPages, signInConsole, startBrowserStack, type BrowserStack } from './stack.ts';

const PARLEY_ORIGIN = 'https://localhost:18561';
const SITE_ORIGIN = 'https://127.0.0.1:18562';
const ADMIN = { name: 'Ada Admin', email: 'ada@example.test', password: 'correct horse staple 1' };

let stack: BrowserStack | undefined;
let db: Db | undefined;
let ann = 0;
let flaggedChat = 0;
const browser = browserPages({
  parleyOrigin: PARLEY_ORIGIN,
  label: 'capacity',
  // The console logs the 400s the test provokes on purpose.
  allow: (text, url) => url.startsWith(`${PARLEY_ORIGIN}/api/`) && text.includes('status of 400'),
});

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  await createAgent(db, { ...ADMIN, role: 'admin' });
  ann = (await createAgent(db, { name: 'Ann Agent', email: 'ann@example.test' })).agent.id;
  // A waiting chat refused by Ann three times, the global rule's limit: routing gave up on it.
  await setRule(db, null, 'round_robin', { maxRefusals: 3 });
  const visitorId = randomUUID();
  await db('visitors').insert({ id: visitorId });
  const [id] = await db('chats').insert({
    visitor_id: visitorId,
    status: 'queued',
    visitor_name: 'Vera Visitor',
  });
  flaggedChat = Number(id);
  for (let i = 0; i < 3; i += 1)
    await db('chat_offers').insert({
      chat_id: flaggedChat,
      agent_id: ann,
      offered_at: new Date(),
      expires_at: new Date(),
      outcome: 'refused',
      decided_at: new Date(),
    });
  stack = await startBrowserStack({ parleyOrigin: PARLEY_ORIGIN, siteOrigin: SITE_ORIGIN });
});

const roleCapacity = async (): Promise<number | null> =>
  ((await db!('roles').where({ name: 'agent' }).first()) as { default_capacity: number | null })
    .default_capacity;

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

describe('capacity in the console', () => {
  it(
    'sets a role default and an agent’s own limit, and the board marks a chat that needs a person',
    { timeout: 90_000 },
    async () => {
      await browser.launch();
      const admin = await browser.open('admin');
      await signInConsole(admin, PARLEY_ORIGIN, ADMIN);

      // Admin › Roles: 60 is refused in the page; 1 is saved.
      await admin.getByTestId('admin-link').click();
      await admin.getByTestId('admin-nav-roles').click();
      const agentRole = admin.locator('[data-testid=role-row][data-role=agent]');
      const roleInput = agentRole.getByTestId('role-default-capacity');
      await roleInput.fill('60');
      await roleInput.press('Tab');
      await expectText(
        agentRole.getByTestId('role-capacity-error'),
        'Enter a whole number of chats from 1 to 50, or leave it empty.',
      );
      expect(await roleCapacity()).toBeNull();
      await roleInput.fill('1');
      await roleInput.press('Tab');
      await expect.poll(roleCapacity).toBe(1);
      await expectText(agentRole.getByTestId('role-capacity-error'), '');

      // Admin › Routing › Agents' capacity: Ann follows her role's 1 until she has her own limit.
      await admin.getByTestId('admin-nav-routing').click();
      const row = admin.locator(`[data-testid=capacity-row][data-agent-id="${ann}"]`);
      await expectText(row.getByTestId('capacity-effective'), '1');
      await expectText(row.getByTestId('capacity-source'), 'their role’s default');
      await row.getByTestId('capacity-input').fill('0');
      await row.getByTestId('capacity-save').click();
      await expectText(
        admin.getByTestId('capacity-error'),
        'Ann Agent: enter a whole number of chats from 1 to 100, or leave it empty to follow the defaults.',
      );
      await row.getByTestId('capacity-input').fill('4');
      await row.getByTestId('capacity-save').click();
      await expectText(
        admin.getByTestId('capacity-saved'),
        'Saved: Ann Agent holds at most 4 chats at once.',
      );
      await expectText(row.getByTestId('capacity-source'), 'their own limit');
      await expectText(row.getByTestId('capacity-effective'), '4');
      expect(await db!('agent_capacity')).toMatchObject([{ agent_id: ann, max_chats: 4 }]);
      await screenshot(admin, 'capacity-routing-agents.png');
      await row.getByTestId('capacity-clear').click();
      await expectText(row.getByTestId('capacity-source'), 'their role’s default');
      expect(await db!('agent_capacity')).toEqual([]);

      // The live board: the chat refused three times needs a person.
      await admin.getByTestId('board-link').click();
      const waiting = admin.locator('[data-testid=board-waiting][data-department-id=none]');
      await expectText(waiting.getByTestId('board-flagged-count'), '1');
      const flagged = admin.locator(
        `[data-testid=board-flagged-chat][data-chat-id="${flaggedChat}"]`,
      );
      await expectText(
        flagged,
        /^needs a person Vera Visitor, waiting .+: refused or unanswered 3×$/,
      );
      await screenshot(admin, 'capacity-board-flagged.png');
      expect(browser.problems).toEqual([]);
    },
  );
});
