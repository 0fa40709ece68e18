// The whole product in a real browser: an agent in the console and visitors in the widget on a
// customer page of another origin (with a strict CSP), talking through a real Parley.
import type { Server } from 'node:https';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN, WIDGET_ORIGIN } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { browserPages, signInConsole, startBrowserStack, type BrowserStack } from './stack.ts';
import { expectCount, expectText, screenshot } from './browser.ts';

const AGENT = { name: 'Ann Agent', email: 'ann@example.test', password: 'correct horse staple' };
const HTML = '<img src=x onerror=alert(1)>';
const AGENT_HTML = '<b>bold?</b><script>alert(2)</script>';

let stack: BrowserStack | undefined;
let db: Db | undefined;
let site: { server: Server; url: string } | undefined;
const browser = browserPages({ parleyOrigin: TEST_ORIGIN, label: 'chat' });
const { problems } = browser;
const openPage = (label: string) => browser.open(label);

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await createAgent(db, AGENT);
  stack = await startBrowserStack({ parleyOrigin: TEST_ORIGIN, siteOrigin: WIDGET_ORIGIN });
  site = stack.site;
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

/** A visitor on the customer's page who opens the widget and starts a chat. */
async function startVisitorChat(
  label: string,
  details: { name: string; email: string; question: string },
): Promise<Page> {
  const page = await openPage(label);
  await page.goto(`${site!.url}/`);
  await page.getByTestId('widget-launcher').click();
  await expectText(page.getByTestId('widget-title'), 'Chat with us');
  await page.getByTestId('prechat-name').fill(details.name);
  await page.getByTestId('prechat-email').fill(details.email);
  await page.getByTestId('prechat-question').fill(details.question);
  await page.getByTestId('prechat-start').click();
  return page;
}

const pane = (page: Page, chatId: string) =>
  page.locator(`[data-testid=chat-pane][data-chat-id="${chatId}"]`);

describe('Parley in a real browser', () => {
  it(
    'an agent and two visitors chat live, safely, into a transcript',
    { timeout: 60_000 },
    async () => {
      expect(site!.url).toBe(WIDGET_ORIGIN);
      await browser.launch();

      // The agent signs in to the console.
      const agent = await openPage('console');
      await signInConsole(agent, TEST_ORIGIN, AGENT);
      await expectText(agent.getByTestId('queue-count'), '0');

      // A visitor opens the customer's page, fills the pre-chat form and waits in the queue.
      const visitor = await startVisitorChat('widget', {
        name: 'Ada Visitor',
        email: 'ada@example.test',
        question: 'I lost my card',
      });
      await expectText(visitor.getByTestId('queue-position'), 'You are number 1 in the queue');
      await expectText(visitor.getByTestId('widget-title'), 'Waiting for an agent');

      // The agent sees the queue entry arrive live, and accepts it.
      const entry = agent.getByTestId('queue-entry').filter({ hasText: 'Ada Visitor' });
      await entry.waitFor();
      await expectText(agent.getByTestId('queue-count'), '1');
      await expectText(entry, /I lost my card/);
      const chatId = (await entry.getAttribute('data-chat-id'))!;
      await screenshot(agent, 'agent-queue.png');
      await screenshot(visitor, 'visitor-queued.png');
      await entry.getByTestId('queue-accept').click();
      const chat = pane(agent, chatId);
      await chat.waitFor();
      await expectText(agent.getByTestId('queue-count'), '0');
      await expectText(visitor.getByTestId('widget-title'), 'Chat with Ann Agent');
      await visitor.getByTestId('queue-position').waitFor({ state: 'detached' });
      // The pre-chat question is the first message, on both sides.
      await expectText(chat.getByTestId('message').first().locator('.body'), 'I lost my card');
      await expectText(visitor.getByTestId('message').first().locator('.body'), 'I lost my card');

      // The visitor types: the agent sees it; the visitor sends: the agent gets the message.
      const visitorComposer = visitor.getByTestId('composer');
      await visitorComposer.pressSequentially('It was stolen at the station');
      await chat.getByTestId('typing-indicator').waitFor();
      await expectText(chat.getByTestId('typing-indicator'), 'Visitor is typing…');
      await visitorComposer.press('Enter');
      const fromVisitor = chat
        .locator('[data-testid=message][data-author=visitor]')
        .filter({ hasText: 'It was stolen at the station' });
      await fromVisitor.waitFor();
      await chat.getByTestId('typing-indicator').waitFor({ state: 'detached' });
      await expectCount(
        visitor.locator('[data-testid=message][data-status=sent]').filter({ hasText: 'stolen' }),
        1,
      );

      // The agent replies: the visitor sees "Agent is typing…", then the message.
      const agentComposer = chat.getByTestId('composer');
      await agentComposer.pressSequentially('Sorry to hear that, Ada. I have blocked the card.');
      await visitor.getByTestId('typing-indicator').waitFor();
      await expectText(visitor.getByTestId('typing-indicator'), 'Agent is typing…');
      await chat.getByTestId('send').click();
      await visitor
        .locator('[data-testid=message][data-author=agent]')
        .filter({ hasText: 'I have blocked the card.' })
        .waitFor();
      await visitor.getByTestId('typing-indicator').waitFor({ state: 'detached' });
      await expectCount(
        chat.locator('[data-testid=message][data-status=sent][data-author=agent]'),
        1,
      );

      // Markup in messages is text on both sides: no element is created, nothing runs.
      await visitorComposer.fill(HTML);
      await visitorComposer.press('Enter');
      await agentComposer.fill(AGENT_HTML);
      await agentComposer.press('Enter');
      for (const [page, scope] of [
        [agent, chat],
        [visitor, visitor.getByTestId('widget-panel')],
      ] as const) {
        const visitorHtml = scope
          .locator('[data-testid=message][data-author=visitor][data-status=sent]')
          .filter({ hasText: HTML });
        const agentHtml = scope
          .locator('[data-testid=message][data-author=agent][data-status=sent]')
          .filter({ hasText: 'bold?' });
        await expectText(visitorHtml.locator('.body'), HTML);
        await expectText(agentHtml.locator('.body'), AGENT_HTML);
        await expectCount(scope.getByTestId('message').locator('img, b, script'), 0);
        await expectCount(page.locator('img[src=x]'), 0);
      }
      await screenshot(agent, 'agent-console.png');
      await screenshot(visitor, 'visitor-widget.png');

      // A second visitor arrives while the first chat is open: the agent takes both.
      const visitor2 = await startVisitorChat('widget 2', {
        name: 'Grace Second',
        email: 'grace@example.test',
        question: 'Can I raise my card limit?',
      });
      // The agent is online now (availability): the widget may add an estimated wait.
      await expectText(visitor2.getByTestId('queue-position'), /^You are number 1 in the queue/);
      const entry2 = agent.getByTestId('queue-entry').filter({ hasText: 'Grace Second' });
      await entry2.waitFor();
      const chatId2 = (await entry2.getAttribute('data-chat-id'))!;
      expect(chatId2).not.toBe(chatId);
      await entry2.getByTestId('queue-accept').click();
      await expectText(visitor2.getByTestId('widget-title'), 'Chat with Ann Agent');
      await expectCount(agent.getByTestId('chat-tab'), 2);
      await expectText(agent.locator(`[data-testid=chat-tab][data-chat-id="${chatId}"]`), /Ada/);
      await expectText(agent.locator(`[data-testid=chat-tab][data-chat-id="${chatId2}"]`), /Grace/);
      const chat2 = pane(agent, chatId2);
      await chat2.getByTestId('composer').fill('Hello Grace, let me check.');
      await chat2.getByTestId('composer').press('Enter');
      await visitor2
        .locator('[data-testid=message][data-author=agent]')
        .filter({ hasText: 'Hello Grace, let me check.' })
        .waitFor();
      // The two conversations stay apart.
      await expectCount(chat2.getByTestId('message').filter({ hasText: 'stolen' }), 0);
      await expectCount(visitor2.getByTestId('message').filter({ hasText: 'blocked' }), 0);
      await agent.getByTestId('layout-side').check();
      await chat.waitFor();
      await chat2.waitFor();
      await screenshot(agent, 'agent-two-chats.png');

      // The first visitor ends the chat: the agent sees it ended; the second chat goes on.
      await visitor.getByTestId('chat-end').click();
      await visitor.getByTestId('widget-new-chat').waitFor();
      await expectText(visitor.getByTestId('widget-title'), 'Chat ended');
      await agent
        .locator(`[data-testid=chat-pane][data-chat-id="${chatId}"][data-status=ended]`)
        .waitFor();
      await expectText(chat.locator('.closed'), /This chat has ended/);
      await chat.getByTestId('composer').waitFor({ state: 'detached' });
      await expectText(agent.locator(`[data-testid=chat-tab][data-chat-id="${chatId}"]`), /ended/);
      expect(await chat2.getAttribute('data-status')).toBe('active');
      await screenshot(agent, 'agent-chat-ended.png');
      await screenshot(visitor, 'visitor-ended.png');

      // The transcript of the ended chat is under Transcripts, with its messages.
      await agent.getByTestId('transcripts-link').click();
      const row = agent.locator(`[data-testid=transcript-row][data-chat-id="${chatId}"]`);
      await row.waitFor();
      await expectText(row, /Ada Visitor.*ada@example\.test.*Ann Agent.*I lost my card.*5$/);
      await expectCount(agent.getByTestId('transcript-row'), 1); // the open chat is not listed
      await screenshot(agent, 'agent-transcripts.png');
      await row.getByRole('link').click();
      const transcript = agent.getByRole('log', { name: 'Transcript messages' });
      await expectCount(transcript.getByTestId('message'), 5);
      const bodies = await transcript.getByTestId('message').locator('.body').allTextContents();
      expect(bodies).toEqual([
        'I lost my card',
        'It was stolen at the station',
        'Sorry to hear that, Ada. I have blocked the card.',
        HTML,
        AGENT_HTML,
      ]);
      await expectCount(transcript.locator('img, b, script'), 0);
      await screenshot(agent, 'agent-transcript.png');

      // No console errors, uncaught exceptions, CSP violations or dialogs on any page.
      expect(problems).toEqual([]);
    },
  );
});
