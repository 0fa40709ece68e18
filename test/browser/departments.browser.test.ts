// Departments offered to visitors, in a real browser (issue 14): an admin offers two departments,
// the widget asks the visitor to choose, and the chat waits in the queue of that department's
// agents only.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { browserPages, signInConsole, startBrowserStack, type BrowserStack } from './stack.ts';
import { expectCount, expectText, screenshot } from './browser.ts';

const PARLEY_ORIGIN = 'https://localhost:18511';
const SITE_ORIGIN = 'https://127.0.0.1:18512';
const ADMIN = { name: 'Ada Admin', email: 'ada@example.test', password: 'correct horse staple 1' };
const LOANS_AGENT = { email: 'lena@example.test', password: 'correct horse staple 2' };
const CARDS_AGENT = { email: 'carl@example.test', password: 'correct horse staple 3' };

let stack: BrowserStack | undefined;
let db: Db | undefined;
let cards = 0;
let loans = 0;
const browser = browserPages({ parleyOrigin: PARLEY_ORIGIN, label: 'departments' });

async function deskAgent(
  account: { email: string; password: string },
  role: string,
  department: number,
) {
  await db!('roles').insert({ name: role, description: role });
  await db!('permission_grants').insert({
    permission: 'chats.accept',
    role,
    scope: 'departments',
    scope_ids: JSON.stringify([department]),
  });
  const { agent } = await createAgent(db!, { ...account, role: role as 'agent' });
  await db!('agent_departments').insert({ agent_id: agent.id, department_id: department });
}

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  loans = Number((await db('departments').insert({ name: 'Retail lending' }))[0]);
  await db('departments').insert({ name: 'Fraud' });
  await createAgent(db, { ...ADMIN, role: 'admin' });
  await deskAgent(LOANS_AGENT, 'loans_desk', loans);
  await deskAgent(CARDS_AGENT, 'cards_desk', cards);
  stack = await startBrowserStack({ parleyOrigin: PARLEY_ORIGIN, siteOrigin: SITE_ORIGIN });
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

async function offer(
  page: Page,
  department: number,
  name: string,
  visitorName: string,
): Promise<void> {
  const row = page.locator(`[data-testid=offer-row][data-department-id="${department}"]`);
  await row.getByTestId('offer-visitor-name').fill(visitorName);
  await row.getByTestId('offer-offered').check();
  await row.getByTestId('offer-save').click();
  await expectText(page.getByTestId('offer-saved'), `Saved: ${name}.`);
}

describe('a visitor chooses a department', () => {
  it(
    'in the widget, and the chat waits for agents of that department only',
    { timeout: 90_000 },
    async () => {
      await browser.launch();

      // The admin offers Cards (by its own name) and Retail lending (as "Loans") to visitors.
      const admin = await browser.open('admin');
      await signInConsole(admin, PARLEY_ORIGIN, ADMIN);
      await admin.getByTestId('admin-link').click();
      await admin.getByTestId('admin-nav-departments').click();
      await admin.getByTestId('offer-row').first().waitFor();
      await offer(admin, cards, 'Cards', '');
      await offer(admin, loans, 'Retail lending', 'Loans');
      await screenshot(admin, 'departments-offered-admin.png');

      const loansAgent = await browser.open('loans-agent');
      await signInConsole(loansAgent, PARLEY_ORIGIN, LOANS_AGENT);
      const cardsAgent = await browser.open('cards-agent');
      await signInConsole(cardsAgent, PARLEY_ORIGIN, CARDS_AGENT);
      await expectText(loansAgent.getByTestId('queue-count'), '0');
      await expectText(cardsAgent.getByTestId('queue-count'), '0');

      // The widget offers the two, by the names visitors see, and requires a choice.
      const visitor = await browser.open('visitor');
      await visitor.goto(`${SITE_ORIGIN}/`);
      await visitor.getByTestId('widget-launcher').click();
      const select = visitor.getByTestId('prechat-department');
      await select.waitFor();
      expect(await select.locator('option:not([disabled])').allTextContents()).toEqual([
        'Cards',
        'Loans',
      ]);
      expect(await select.getAttribute('required')).not.toBeNull();
      await visitor.getByTestId('prechat-name').fill('Vera Visitor');
      await visitor.getByTestId('prechat-question').fill('Can I borrow for a car?');
      await select.selectOption({ label: 'Loans' });
      await screenshot(visitor, 'departments-prechat.png');
      await visitor.getByTestId('prechat-start').click();
      await expectText(visitor.getByTestId('widget-title'), 'Waiting for an agent');

      // The Loans agent sees it, with the department's own name; the Cards agent never does.
      const entry = loansAgent.getByTestId('queue-entry').filter({ hasText: 'Vera Visitor' });
      await entry.waitFor();
      await expectText(entry.getByTestId('queue-department'), 'Retail lending');
      const chatId = Number(await entry.getAttribute('data-chat-id'));
      const stored: { department_id: number } = await db!('chats')
        .where({ id: chatId })
        .first('department_id');
      expect(stored.department_id).toBe(loans);
      await screenshot(loansAgent, 'departments-queue-loans.png');
      await expectText(cardsAgent.getByTestId('queue-count'), '0');
      await cardsAgent.reload();
      await cardsAgent.locator('[data-testid=connection-status][data-state=connected]').waitFor();
      await expectText(cardsAgent.getByTestId('queue-count'), '0');
      await expectCount(cardsAgent.getByTestId('queue-entry'), 0);

      await entry.getByTestId('queue-accept').click();
      await expectText(visitor.getByTestId('widget-title'), /^Chat with/);
      expect(browser.problems).toEqual([]);
    },
  );
});
