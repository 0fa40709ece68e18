// Availability in a real browser (issue 14): the status switcher, the Agents panel, idle-away and
// back, and a supervisor's live board following it all, scoped to their department.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { browserPages, signInConsole, startBrowserStack, type BrowserStack } from './stack.ts';
import { expectCount, screenshot } from './browser.ts';

const PARLEY_ORIGIN = 'https://localhost:18521';
const SITE_ORIGIN = 'https://127.0.0.1:18522';
const ANN = { name: 'Ann Agent', email: 'ann@example.test', password: 'correct horse staple' };
const BEA = { name: 'Bea Agent', email: 'bea@example.test', password: 'correct horse battery' };
const LEO = { name: 'Leo Loans', email: 'leo@example.test', password: 'correct horse rivet' };
const SUE = { name: 'Sue Supervisor', email: 'sue@example.test', password: 'correct horse ledger' };

let stack: BrowserStack | undefined;
let db: Db | undefined;
const ids: Record<string, number> = {};
const browser = browserPages({ parleyOrigin: PARLEY_ORIGIN, label: 'presence' });

async function agentIn(
  who: typeof ANN,
  role: string,
  departmentId: number | null,
): Promise<number> {
  const { agent } = await createAgent(db!, { ...who, role: role as 'agent' });
  if (departmentId !== null)
    await db!('agent_departments').insert({ agent_id: agent.id, department_id: departmentId });
  return agent.id;
}

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  const cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  const loans = Number((await db('departments').insert({ name: 'Loans' }))[0]);
  // Bea's role sends her away after 4.8 idle seconds; Sue supervises Cards.
  await db('roles').insert([
    { name: 'quick', description: '', away_after_minutes: 0.08 },
    { name: 'cards_supervisor', description: '' },
  ]);
  await db('permission_grants').insert([
    { permission: 'chats.accept', role: 'quick', scope: 'all' },
    {
      permission: 'chats.monitor',
      role: 'cards_supervisor',
      scope: 'departments',
      scope_ids: JSON.stringify([cards]),
    },
  ]);
  ids.ann = await agentIn(ANN, 'agent', cards);
  ids.bea = await agentIn(BEA, 'quick', cards);
  ids.leo = await agentIn(LEO, 'agent', loans);
  ids.sue = await agentIn(SUE, 'cards_supervisor', null);
  stack = await startBrowserStack({
    parleyOrigin: PARLEY_ORIGIN,
    siteOrigin: SITE_ORIGIN,
    overrides: { PARLEY_PRESENCE_GRACE_SECONDS: '1', PARLEY_PRESENCE_SWEEP_MS: '200' },
  });
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

const boardRow = (page: Page, agentId: number, status: string) =>
  page.locator(`[data-testid=board-agent][data-agent-id="${agentId}"][data-status=${status}]`);
const colleague = (page: Page, agentId: number, status: string) =>
  page.locator(`[data-testid=colleague][data-agent-id="${agentId}"][data-status=${status}]`);

async function switcherShows(page: Page, status: string): Promise<void> {
  await page.waitForFunction(
    (expected) =>
      document.querySelector<HTMLSelectElement>('[data-testid=status-switcher]')?.value ===
      expected,
    status,
  );
}

describe('availability in the console', () => {
  it(
    'a supervisor watches Cards agents come online, choose away, idle away and back, and leave',
    { timeout: 60_000 },
    async () => {
      await browser.launch();
      const sue = await browser.open('supervisor');
      await signInConsole(sue, PARLEY_ORIGIN, SUE);
      await sue.getByTestId('board-link').click();
      await boardRow(sue, ids.ann!, 'offline').waitFor();
      // Scoped: the Loans agent is not on a Cards supervisor's board.
      await expectCount(sue.locator(`[data-testid=board-agent][data-agent-id="${ids.leo}"]`), 0);

      const ann = await browser.open('ann');
      await signInConsole(ann, PARLEY_ORIGIN, ANN);
      await switcherShows(ann, 'online');
      await boardRow(sue, ids.ann!, 'online').waitFor();

      await ann.getByTestId('status-switcher').selectOption('away');
      await boardRow(sue, ids.ann!, 'away').waitFor();

      // Bea appears in Ann's Agents panel; with no activity she goes away, and back on a move.
      const bea = await browser.open('bea');
      await signInConsole(bea, PARLEY_ORIGIN, BEA);
      await colleague(ann, ids.bea!, 'online').waitFor();
      await expectCount(ann.locator(`[data-testid=colleague][data-agent-id="${ids.leo}"]`), 0);
      await switcherShows(bea, 'away');
      await colleague(ann, ids.bea!, 'away').waitFor();
      await boardRow(sue, ids.bea!, 'away').waitFor();
      await screenshot(sue, 'presence-board.png');
      await bea.mouse.move(40, 40);
      await bea.mouse.move(80, 90);
      await switcherShows(bea, 'online');
      await colleague(ann, ids.bea!, 'online').waitFor();
      await boardRow(sue, ids.bea!, 'online').waitFor();
      await screenshot(ann, 'presence-agents-panel.png');

      // The supervisor sets Bea away from the board; Bea's own console follows.
      await sue
        .locator(`[data-testid=board-agent][data-agent-id="${ids.bea}"]`)
        .getByTestId('board-set-status')
        .selectOption('away');
      await switcherShows(bea, 'away');
      await boardRow(sue, ids.bea!, 'away').waitFor();

      // Ann closes her console: offline once the grace period has passed.
      await ann.close();
      await boardRow(sue, ids.ann!, 'offline').waitFor();

      const causes = await db!('agent_status_history')
        .where({ agent_id: ids.bea })
        .orderBy('id')
        .pluck('cause');
      expect(causes).toEqual(['connect', 'idle', 'activity', 'admin']);
      expect(
        await db!('agent_status_history').where({ agent_id: ids.ann }).orderBy('id').pluck('cause'),
      ).toEqual(['connect', 'chosen', 'disconnect']);
      expect(browser.problems).toEqual([]);
    },
  );
});
