// Chat actions in a real browser (issue 14): agent A transfers a chat to agent B with a note that
// B reads and the visitor never sees; a supervisor monitors the chat and whispers, and the
// visitor's page never shows the whisper. Its own ports: 18541 (Parley) and 18542 (site).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Permission } from '../../app/shared/permissions.ts';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { expectText, screenshot } from './browser.ts';
import { browserPages, signInConsole, startBrowserStack, type BrowserStack } from './stack.ts';

const PARLEY_ORIGIN = 'https://localhost:18541';
const SITE_ORIGIN = 'https://127.0.0.1:18542';
const ANN = { name: 'Ann First', email: 'ann.actions@example.test', password: 'correct horse ann' };
const BEN = {
  name: 'Ben Second',
  email: 'ben.actions@example.test',
  password: 'correct horse ben',
};
const SUE = {
  name: 'Sue Supervisor',
  email: 'sue.actions@example.test',
  password: 'correct horse sue',
};
const NOTE = 'Caller verified by phone, gold card to be blocked';
const WHISPER = 'Offer the fee waiver quietly';

let stack: BrowserStack | undefined;
let db: Db | undefined;
const browser = browserPages({ parleyOrigin: PARLEY_ORIGIN, label: 'chat-actions' });

async function agentWith(who: typeof ANN, role: string, permissions: Permission[]) {
  await db!('roles').insert({ name: role, description: role });
  for (const permission of permissions)
    await db!('permission_grants').insert({ permission, role, scope: 'all', scope_ids: null });
  const { agent } = await createAgent(db!, { ...who, role: role as 'agent' });
  // Online, as the availability capability records it.
  await db!('agent_presence').insert({ agent_id: agent.id, status: 'online' });
}

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await db('roles').whereNotIn('name', ['admin', 'agent']).delete();
  await agentWith(ANN, 'desk_a', ['chats.accept', 'chats.transfer']);
  await agentWith(BEN, 'desk_b', ['chats.accept', 'chats.transfer']);
  await agentWith(SUE, 'supervisor', ['chats.monitor', 'chats.join']);
  stack = await startBrowserStack({ parleyOrigin: PARLEY_ORIGIN, siteOrigin: SITE_ORIGIN });
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

/** Everything the widget renders, in its shadow root, and the page around it. */
const widgetText = (page: Page) =>
  page.evaluate(() => {
    const hosts = [...document.querySelectorAll('*')].filter((el) => el.shadowRoot);
    return [document.body.innerText, ...hosts.map((el) => el.shadowRoot!.textContent ?? '')].join(
      '\n',
    );
  });

const pane = (page: Page, chatId: string) =>
  page.locator(`[data-testid=chat-pane][data-chat-id="${chatId}"]`);

describe('chat actions in a real browser', () => {
  it(
    'transfers with a note for agents, then a supervisor monitors and whispers unseen',
    {
      timeout: 90_000,
    },
    async () => {
      await browser.launch();
      const ann = await browser.open('ann');
      await signInConsole(ann, PARLEY_ORIGIN, ANN);
      const ben = await browser.open('ben');
      await signInConsole(ben, PARLEY_ORIGIN, BEN);

      const visitor = await browser.open('visitor');
      await visitor.goto(`${stack!.site.url}/`);
      await visitor.getByTestId('widget-launcher').click();
      await visitor.getByTestId('prechat-name').fill('Ada Visitor');
      await visitor.getByTestId('prechat-question').fill('My card was stolen');
      await visitor.getByTestId('prechat-start').click();

      const entry = ann.getByTestId('queue-entry').filter({ hasText: 'Ada Visitor' });
      await entry.waitFor();
      const chatId = (await entry.getAttribute('data-chat-id'))!;
      await entry.getByTestId('queue-accept').click();
      await expectText(visitor.getByTestId('widget-title'), `Chat with ${ANN.name}`);

      // Ann transfers to Ben with a note.
      const annPane = pane(ann, chatId);
      await annPane.getByTestId('transfer-open').click();
      const dialog = annPane.getByTestId('transfer-dialog');
      await dialog.getByTestId('transfer-target').selectOption({ label: BEN.name });
      await dialog.getByTestId('transfer-note').fill(NOTE);
      await screenshot(ann, 'actions-transfer-dialog.png');
      await dialog.getByTestId('transfer-submit').click();
      await annPane.waitFor({ state: 'detached' });

      // Ben has the chat, the whole conversation and the note, marked for agents only.
      const benPane = pane(ben, chatId);
      await benPane.waitFor();
      const note = benPane
        .locator('[data-testid=message][data-internal=true]')
        .filter({ hasText: NOTE });
      await note.waitFor();
      await expectText(note.getByTestId('internal'), /agents only/);
      await benPane.getByTestId('message').filter({ hasText: 'My card was stolen' }).waitFor();
      // The visitor sees who took over, never the note.
      await visitor
        .getByTestId('message')
        .filter({ hasText: `${BEN.name} has taken over the chat.` })
        .waitFor();
      await expectText(visitor.getByTestId('widget-title'), `Chat with ${BEN.name}`);
      expect(await widgetText(visitor)).not.toContain('gold card');
      await screenshot(ben, 'actions-ben-after-transfer.png');

      // Sue monitors from the Active chats list.
      const sue = await browser.open('sue');
      await signInConsole(sue, PARLEY_ORIGIN, SUE);
      const active = sue.locator(`[data-testid=active-chat][data-chat-id="${chatId}"]`);
      await active.waitFor();
      await active.getByTestId('monitor').click();
      const suePane = pane(sue, chatId);
      await suePane.getByTestId('monitoring').waitFor();
      await suePane.getByTestId('message').filter({ hasText: NOTE }).waitFor();

      // Live: the visitor writes, Sue sees it.
      await visitor.getByTestId('composer').fill('Is it blocked now?');
      await visitor.getByTestId('composer').press('Enter');
      await suePane.getByTestId('message').filter({ hasText: 'Is it blocked now?' }).waitFor();

      // Sue whispers; Ben sees it marked, the visitor never.
      await suePane.getByTestId('composer').fill(WHISPER);
      await suePane.getByTestId('composer').press('Enter');
      const whispered = benPane
        .locator('[data-testid=message][data-internal=true]')
        .filter({ hasText: WHISPER });
      await whispered.waitFor();
      await suePane
        .locator('[data-testid=message][data-internal=true]')
        .filter({ hasText: WHISPER })
        .waitFor();
      // Ben replies after the whisper: once the visitor has the reply, the whisper would be there too.
      await benPane.getByTestId('composer').fill('Yes, it is blocked.');
      await benPane.getByTestId('composer').press('Enter');
      await visitor.getByTestId('message').filter({ hasText: 'Yes, it is blocked.' }).waitFor();
      // And after a reload, which fetches the whole conversation again.
      await visitor.reload();
      await visitor.getByTestId('message').filter({ hasText: 'Yes, it is blocked.' }).waitFor();
      const seen = await widgetText(visitor);
      expect(seen).toContain('Yes, it is blocked.');
      expect(seen).not.toContain('fee waiver');
      expect(seen).not.toContain('gold card');
      expect(seen).not.toMatch(/monitor|Sue Supervisor/i);
      await screenshot(sue, 'actions-sue-monitoring.png');
      await screenshot(visitor, 'actions-visitor-never-sees.png');

      // Ben invites Sue to join: she accepts the invitation and writes to the visitor, who sees her.
      await benPane.getByTestId('invite-open').click();
      await benPane.getByTestId('invite-target').selectOption({ label: SUE.name });
      await benPane.getByTestId('invite-submit').click();
      const invitation = sue.locator(`[data-testid=invitation][data-chat-id="${chatId}"]`);
      await expectText(invitation, new RegExp(`${BEN.name} invites you to join`));
      await invitation.getByTestId('invitation-join').click();
      await visitor
        .getByTestId('message')
        .filter({ hasText: `${SUE.name} has joined the chat.` })
        .waitFor();
      await suePane.getByTestId('monitoring').waitFor({ state: 'detached' });
      await suePane.getByTestId('composer').fill('Hello Ada, I am the supervisor.');
      await suePane.getByTestId('composer').press('Enter');
      await visitor.getByTestId('message').filter({ hasText: 'I am the supervisor' }).waitFor();
      await benPane.getByTestId('message').filter({ hasText: 'I am the supervisor' }).waitFor();
      expect(await widgetText(visitor)).not.toContain('fee waiver');

      expect(browser.problems).toEqual([]);
    },
  );
});
