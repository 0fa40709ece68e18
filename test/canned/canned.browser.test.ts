// Canned messages and agent notifications in a real browser (issue 14): an agent types #greet in a
// Cards chat, picks it from the keyboard, and the visitor receives it with the variables filled; the
// console raises desktop notifications (permission granted, a spy on window.Notification).
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { agentRoom } from '../../app/socket/delivery.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { expectText } from '../browser/browser.ts';
import {
  browserPages,
  signInConsole,
  startBrowserStack,
  type BrowserStack,
} from '../browser/stack.ts';

const PARLEY = 'https://localhost:18561';
const SITE = 'https://127.0.0.1:18562';
const AGENT = { name: 'Ann Agent', email: 'ann@example.test', password: 'correct horse staple' };

let stack: BrowserStack | undefined;
let db: Db | undefined;
let cards = 0;
let annId = 0;
const ADMIN = {
  name: 'Ida Admin',
  email: 'ida@example.test',
  password: 'correct horse admin',
  role: 'admin' as const,
};
const browser = browserPages({ parleyOrigin: PARLEY, label: 'canned' });

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  const { agent } = await createAgent(db, AGENT);
  annId = agent.id;
  await createAgent(db, ADMIN);
  cards = Number((await db('departments').insert({ name: 'Cards' }))[0]);
  const loans = Number((await db('departments').insert({ name: 'Loans' }))[0]);
  const canned = (scope: string, shortcut: string, text: string, owner: object = {}) => ({
    scope,
    shortcut,
    title: `Title of ${shortcut}`,
    body: text,
    scope_key:
      'agent_id' in owner
        ? `agent:${String(owner.agent_id)}`
        : 'department_id' in owner
          ? `department:${String(owner.department_id)}`
          : 'global',
    ...owner,
  });
  await db('canned_messages').insert([
    canned(
      'global',
      'greet',
      'Hello {visitor.name|there}, I am {agent.name} from {department.name|Parley}.',
    ),
    canned('department', 'greet-cards', 'Cards here.', { department_id: cards }),
    canned('department', 'greet-loans', 'Loans here.', { department_id: loans }),
    canned('personal', 'greet-mine', 'Mine.', { agent_id: agent.id }),
  ]);
  stack = await startBrowserStack({ parleyOrigin: PARLEY, siteOrigin: SITE });
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

async function visitorChat(label: string, name: string, question: string): Promise<Page> {
  const page = await browser.open(label);
  await page.goto(`${SITE}/`);
  await page.getByTestId('widget-launcher').click();
  await page.getByTestId('prechat-name').fill(name);
  await page.getByTestId('prechat-question').fill(question);
  await page.getByTestId('prechat-start').click();
  await page.getByTestId('queue-position').waitFor();
  return page;
}

/** Titles of the desktop notifications the console raised, recorded by the spy. */
const raised = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { __notified: { title: string }[] }).__notified.map((n) => n.title),
  );

describe('canned messages and notifications in the console', () => {
  it(
    'completes #greet from the keyboard, fills the variables, and notifies the agent',
    { timeout: 90_000 },
    async () => {
      await browser.launch();
      const agent = await browser.open('console');
      await agent.context().grantPermissions(['notifications'], { origin: PARLEY });
      await agent.addInitScript(() => {
        const notified: { title: string; body?: string }[] = [];
        const Real = window.Notification;
        class Spy extends Real {
          constructor(title: string, options?: NotificationOptions) {
            notified.push({ title, body: options?.body });
            super(title, options);
          }
        }
        Object.defineProperty(Spy, 'permission', { get: () => Real.permission });
        Object.defineProperty(window, '__notified', { value: notified });
        window.Notification = Spy;
      });
      await signInConsole(agent, PARLEY, AGENT);

      // Consent from a button on the Account page (the browser already grants it here).
      await agent.getByTestId('account-link').click();
      await expectText(agent.getByTestId('notification-permission'), /allowed/);
      await agent.getByTestId('notify-queue-desktop').waitFor();
      expect(await agent.getByTestId('notify-queue-desktop').isChecked()).toBe(true);
      await agent.goto(`${PARLEY}/#/`);
      await agent.locator('[data-testid=connection-status][data-state=connected]').waitFor();

      // A visitor joins the queue: a desktop notification says so.
      const ada = await visitorChat('ada', 'Ada', 'My card is lost');
      const entry = agent.getByTestId('queue-entry').filter({ hasText: 'Ada' });
      await entry.waitFor();
      await expect.poll(() => raised(agent)).toContain('A visitor is waiting');
      const chatId = Number(await entry.getAttribute('data-chat-id'));
      await db!('chats').where({ id: chatId }).update({ department_id: cards });
      await entry.getByTestId('queue-accept').click();
      const pane = agent.locator(`[data-testid=chat-pane][data-chat-id="${chatId}"]`);
      const composer = pane.getByTestId('composer');
      await composer.waitFor();

      // #greet offers Cards', global and personal messages, never Loans'.
      await composer.pressSequentially('#greet');
      const options = pane.getByTestId('canned-option');
      await expect
        .poll(() => options.evaluateAll((els) => els.map((el) => el.getAttribute('data-shortcut'))))
        .toEqual(['greet', 'greet-cards', 'greet-mine']);
      await expect
        .poll(() =>
          pane
            .locator('[data-testid=canned-option][aria-selected=true]')
            .getAttribute('data-shortcut'),
        )
        .toBe('greet');
      await composer.press('ArrowDown');
      await expect
        .poll(() => pane.locator('[aria-selected=true]').getAttribute('data-shortcut'))
        .toBe('greet-cards');
      // The textarea names the chosen option for screen readers.
      const activeId = await composer.getAttribute('aria-activedescendant');
      expect(await pane.locator(`[id="${activeId}"]`).getAttribute('data-shortcut')).toBe(
        'greet-cards',
      );
      await composer.press('ArrowDown');
      await composer.press('ArrowDown'); // past the last: back to the first
      await composer.press('ArrowUp'); // before the first: the last
      await expect
        .poll(() => pane.locator('[aria-selected=true]').getAttribute('data-shortcut'))
        .toBe('greet-mine');
      await composer.press('ArrowDown');
      await composer.press('Enter'); // picks, does not send
      await pane.getByTestId('canned-list').waitFor({ state: 'detached' });
      expect(await composer.inputValue()).toBe('Hello Ada, I am Ann Agent from Cards.');

      // Escape closes the list and keeps what was typed; Tab picks too.
      await composer.pressSequentially(' #greet-m');
      await pane.getByTestId('canned-list').waitFor();
      await composer.press('Escape');
      await pane.getByTestId('canned-list').waitFor({ state: 'detached' });
      expect(await composer.inputValue()).toBe('Hello Ada, I am Ann Agent from Cards. #greet-m');
      await composer.press('Backspace');
      await composer.pressSequentially('m');
      await pane.getByTestId('canned-list').waitFor();
      await composer.press('Tab');
      expect(await composer.inputValue()).toBe('Hello Ada, I am Ann Agent from Cards. Mine.');
      await composer.press('Enter'); // now it sends

      const sent = 'Hello Ada, I am Ann Agent from Cards. Mine.';
      await ada
        .locator('[data-testid=message][data-author=agent]')
        .filter({ hasText: sent })
        .waitFor();
      const bodies = await ada
        .locator('[data-testid=message][data-author=agent] .body')
        .allTextContents();
      expect(bodies).toEqual([sent]);

      // A second chat takes the view: a message in the first raises a notification.
      const grace = await visitorChat('grace', 'Grace', 'Card limit');
      const second = agent.getByTestId('queue-entry').filter({ hasText: 'Grace' });
      await second.waitFor();
      await second.getByTestId('queue-accept').click();
      await expectText(grace.getByTestId('widget-title'), 'Chat with Ann Agent');
      const composerAda = ada.getByTestId('composer');
      await composerAda.fill('Are you still there?');
      await composerAda.press('Enter');
      await expect.poll(() => raised(agent)).toContain('New message from Ada');

      // An offer to this agent (the routing engineer's `offer:new`) rings too.
      stack!.t.parley.sockets.io
        .of('/agent')
        .to(agentRoom(annId))
        .emit('offer:new', { chatId: 999_999, visitorName: 'Olive' });
      await expect.poll(() => raised(agent)).toContain('A chat is offered to you');

      // Turned off in the agent's settings, a message no longer raises one.
      await agent.getByTestId('account-link').click();
      await agent.getByTestId('notify-message-desktop').uncheck();
      await agent.getByText('Saved.').waitFor();
      expect(
        (await db!('agent_notification_settings').where({ agent_id: annId }).first())
          .message_desktop,
      ).toBe(0);
      await agent.evaluate(() => (window.location.hash = '#/'));
      const before = (await raised(agent)).length;
      await composerAda.fill('Hello?');
      await composerAda.press('Enter');
      await pane
        .locator('[data-testid=message][data-author=visitor]')
        .filter({ hasText: 'Hello?' })
        .waitFor({ state: 'attached' }); // in the tab not shown
      expect((await raised(agent)).length).toBe(before);
      expect(browser.problems).toEqual([]);
    },
  );

  it(
    'deletes a transcript from its view after confirming, and says why a held one is kept',
    { timeout: 60_000 },
    async () => {
      const ended = async (held: boolean) => {
        const visitorId = randomUUID();
        await db!('visitors').insert({ id: visitorId });
        const [id] = await db!('chats').insert({
          visitor_id: visitorId,
          visitor_name: held ? 'Held Visitor' : 'Gone Visitor',
          status: 'ended',
          ended_at: new Date(),
          last_seq: 1,
          department_id: cards,
          legal_hold: held ? 1 : 0,
          legal_hold_reason: held ? 'case 12' : null,
        });
        await db!('messages').insert({
          chat_id: id,
          seq: 1,
          client_id: `m-${id}`,
          author_kind: 'visitor',
          body: 'to be deleted',
        });
        return Number(id);
      };
      const gone = await ended(false);
      const held = await ended(true);
      const admin = await browser.open('admin');
      await signInConsole(admin, PARLEY, ADMIN);

      await admin.goto(`${PARLEY}/#/transcripts/${gone}`);
      await admin.getByTestId('message').first().waitFor();
      await admin.getByTestId('transcript-delete').click();
      await admin.getByTestId('transcript-delete-dialog').waitFor({ state: 'visible' });
      await admin.getByTestId('transcript-delete-cancel').click();
      await admin.getByTestId('transcript-delete-dialog').waitFor({ state: 'hidden' });
      expect(await db!('chats').where({ id: gone }).first()).toBeDefined();
      await admin.getByTestId('transcript-delete').click();
      await admin.getByTestId('transcript-delete-confirm').click();
      await admin.waitForURL(/#\/transcripts$/);
      expect(await db!('chats').where({ id: gone }).first()).toBeUndefined();
      expect(await db!('messages').where({ chat_id: gone }).first()).toBeUndefined();

      await admin.goto(`${PARLEY}/#/transcripts/${held}`);
      await admin.getByTestId('message').first().waitFor();
      await admin.getByTestId('transcript-delete').click();
      await admin.getByTestId('transcript-delete-confirm').click();
      await expectText(admin.getByTestId('transcript-delete-error'), /legal hold/);
      expect(await db!('chats').where({ id: held }).first()).toBeDefined();
      // The refused delete answered 409, which Chromium logs; nothing else went wrong.
      expect(browser.problems.filter((p) => !p.includes('409'))).toEqual([]);
    },
  );
});
