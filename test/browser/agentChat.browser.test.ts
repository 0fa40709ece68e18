// Agent-to-agent chat in the console (issue 14): agent A starts a direct chat with agent B from the
// Team panel; B sees it arrive live with an unread badge, reads it and answers; A sees the answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { expectCount, expectText, screenshot } from './browser.ts';
import { browserPages, signInConsole, startBrowserStack, type BrowserStack } from './stack.ts';

const PARLEY_ORIGIN = 'https://localhost:18551';
const SITE_ORIGIN = 'https://127.0.0.1:18552';
const ANN = { name: 'Ann Agent', email: 'ann@example.test', password: 'correct horse staple' };
const BOB = { name: 'Bob Agent', email: 'bob@example.test', password: 'correct horse battery' };

let stack: BrowserStack | undefined;
let db: Db | undefined;
const browser = browserPages({ parleyOrigin: PARLEY_ORIGIN, label: 'agent-chat' });

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  const [dept] = await db('departments').insert({ name: 'Cards' });
  for (const person of [ANN, BOB]) {
    const { agent } = await createAgent(db, person);
    await db('agent_departments').insert({ agent_id: agent.id, department_id: dept });
  }
  stack = await startBrowserStack({ parleyOrigin: PARLEY_ORIGIN, siteOrigin: SITE_ORIGIN });
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

describe('agent-to-agent chat in the console', () => {
  it(
    'A messages B directly; B sees it live, unread, then answers live; the department room too',
    { timeout: 60_000 },
    async () => {
      await browser.launch();
      const ann = await browser.open('ann');
      const bob = await browser.open('bob');
      await signInConsole(ann, PARLEY_ORIGIN, ANN);
      await signInConsole(bob, PARLEY_ORIGIN, BOB);

      // Ann picks Bob in the colleague picker and opens the direct chat.
      const picker = ann.getByTestId('team-colleague');
      await expect.poll(() => picker.locator('option', { hasText: 'Bob Agent' }).count()).toBe(1);
      await picker.selectOption({ label: 'Bob Agent' });
      await ann.getByTestId('team-open').click();
      const annChat = ann.getByTestId('team-chat');
      await expectText(annChat.locator('h3'), 'Bob Agent');
      await annChat.getByTestId('team-composer').fill('Bob, can you take the mortgage chat?');
      await annChat.getByTestId('team-composer').press('Enter');
      await expectText(
        annChat.locator('[data-testid=team-message][data-status=sent]'),
        /can you take the mortgage chat\?/,
      );

      // Bob sees the conversation arrive, with one unread message, without reloading.
      const fromAnn = bob.getByTestId('team-conversation').filter({ hasText: 'Ann Agent' });
      await fromAnn.waitFor();
      await expectText(fromAnn.getByTestId('team-unread'), /^1 ?unread$/);
      await expectText(bob.getByTestId('team-unread-total'), '1');
      await screenshot(bob, 'agent-chat-unread.png');
      await fromAnn.click();
      const bobChat = bob.getByTestId('team-chat');
      await expectText(
        bobChat.getByTestId('team-message'),
        /Bob, can you take the mortgage chat\?/,
      );
      await expectCount(fromAnn.getByTestId('team-unread'), 0);
      await expectCount(bob.getByTestId('team-unread-total'), 0);

      // Bob answers; Ann, with the conversation open, sees it live.
      await bobChat.getByTestId('team-composer').fill('On it.');
      await bobChat.getByTestId('team-send').click();
      await expectText(annChat.getByTestId('team-message').nth(1), /On it\./);
      await expectCount(annChat.getByTestId('team-message'), 2);
      await screenshot(ann, 'agent-chat-answered.png');
      expect(await db!('agent_messages').orderBy('id').pluck('body')).toEqual([
        'Bob, can you take the mortgage chat?',
        'On it.',
      ]);

      // The department room: Ann writes in it, Bob sees its unread badge, opens it and reads it.
      await ann.getByTestId('team-conversation').filter({ hasText: '# Cards' }).click();
      await expectText(annChat.locator('h3'), '# Cards');
      await annChat.getByTestId('team-composer').fill('Stand-up at three.');
      await annChat.getByTestId('team-composer').press('Enter');
      const room = bob.getByTestId('team-conversation').filter({ hasText: '# Cards' });
      await expectText(room.getByTestId('team-unread'), /^1 ?unread$/);
      await room.click();
      await expectText(bobChat.getByTestId('team-message'), /Stand-up at three\./);
      expect(browser.problems).toEqual([]);
    },
  );
});
