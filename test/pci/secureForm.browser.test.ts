// The PCI secure form in real browsers: the agent's console asks, the visitor's widget encrypts, the
// agent reads; Parley's database and logs hold only "requested / submitted"; after the chat, nothing.
import type { Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  browserPages,
  signInConsole,
  startBrowserStack,
  type BrowserStack,
} from '../browser/stack.ts';
import { expectCount, expectText, screenshot } from '../browser/browser.ts';
import { allLogLines, containing, dumpDatabase } from './helpers.ts';

// Ports of their own, so this runs beside the other browser tests.
const PARLEY_ORIGIN = 'https://localhost:18743';
const SITE_ORIGIN = 'https://127.0.0.1:18744';
const AGENT = {
  name: 'Pat Payments',
  email: 'pat@example.test',
  password: 'correct horse staple',
  role: 'admin' as const,
};
const CARD = { number: '5555 5555 5555 4444', expiry: '11/31', name: 'Grace Hopper', cvc: '919' };

let stack: BrowserStack | undefined;
let db: Db | undefined;
let site: { server: Server; url: string } | undefined;
const browser = browserPages({ parleyOrigin: PARLEY_ORIGIN, label: 'pci' });
const { problems } = browser;
const openPage = (label: string) => browser.open(label);
const logs = allLogLines();

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await createAgent(db, AGENT);
  await db('departments').insert({ name: 'Payments', description: '' });
  stack = await startBrowserStack({
    parleyOrigin: PARLEY_ORIGIN,
    siteOrigin: SITE_ORIGIN,
    log: logs.log,
  });
  site = stack.site;
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

describe('the PCI secure form in a real browser', () => {
  it(
    'an agent requests card details, the visitor fills the form, the agent sees them until the chat ends',
    { timeout: 60_000 },
    async () => {
      await browser.launch();

      const agent = await openPage('console');
      await signInConsole(agent, PARLEY_ORIGIN, AGENT);

      const visitor = await openPage('widget');
      await visitor.goto(`${site!.url}/`);
      await visitor.getByTestId('widget-launcher').click();
      await visitor.getByTestId('prechat-name').fill('Grace');
      await visitor.getByTestId('prechat-question').fill('Please pay my invoice');
      await visitor.getByTestId('prechat-start').click();

      const entry = agent.getByTestId('queue-entry').filter({ hasText: 'Grace' });
      await entry.waitFor();
      const chatId = (await entry.getAttribute('data-chat-id'))!;
      await entry.getByTestId('queue-accept').click();
      const pane = agent.locator(`[data-testid=chat-pane][data-chat-id="${chatId}"]`);
      await pane.waitFor();

      // A card number typed into the chat is masked before it is sent, and shown as masked on both sides.
      const composer = visitor.getByTestId('composer');
      await composer.fill('it is 4111 1111 1111 1111');
      await composer.press('Enter');
      const masked = pane
        .locator('[data-testid=message][data-author=visitor]')
        .filter({ hasText: '4111 11•• •••• 1111' });
      await masked.waitFor();
      await masked.getByTestId('card-masked').waitFor();
      await visitor
        .locator('[data-testid=message][data-status=sent]')
        .getByTestId('card-masked')
        .waitFor();

      // The agent asks for the card through the secure form.
      await pane.getByTestId('secure-form-request').click();
      await pane.locator('[data-testid=secure-form-panel][data-step=waiting]').waitFor();
      const form = visitor.getByTestId('secure-form');
      await form.waitFor();
      await expectText(
        pane.locator('[data-testid=message][data-author=system]').first(),
        /requested card details through the secure form/,
      );

      // The widget checks the values before it encrypts anything.
      await form.getByTestId('secure-form-number').fill('4111 1111 1111 1112');
      await form.getByTestId('secure-form-expiry').fill('01/20');
      await form.getByTestId('secure-form-name').fill(CARD.name);
      await form.getByTestId('secure-form-cvc').fill('12');
      await form.getByTestId('secure-form-submit').click();
      await expectText(form, /not a valid card number/);
      await expectText(form, /has expired/);
      await expectText(form, /security code has 3 digits/);
      await expectCount(visitor.locator('[data-testid=message][data-author=system]'), 1);

      await form.getByTestId('secure-form-number').fill(CARD.number);
      await form.getByTestId('secure-form-expiry').fill(CARD.expiry);
      await form.getByTestId('secure-form-cvc').fill(CARD.cvc);
      await form.getByTestId('secure-form-submit').click();
      await visitor.getByTestId('secure-form-sent').waitFor();

      // The agent's console opens it with the key only it holds.
      await pane.locator('[data-testid=secure-form-panel][data-step=received]').waitFor();
      await expectText(pane.getByTestId('secure-form-number'), CARD.number.replace(/ /g, ''));
      await expectText(pane.getByTestId('secure-form-expiry'), CARD.expiry);
      await expectText(pane.getByTestId('secure-form-name'), CARD.name);
      await expectText(pane.getByTestId('secure-form-cvc'), CARD.cvc);
      await expectText(
        pane.locator('[data-testid=message][data-author=system]').nth(1),
        'The visitor submitted the secure form.',
      );
      await screenshot(agent, 'pci-agent-secure-form.png');
      await screenshot(visitor, 'pci-visitor-secure-form.png');

      // The server holds only that a form was requested and submitted.
      const secrets = [CARD.number, CARD.name, '4111111111111111'];
      expect(containing(await dumpDatabase(db!), secrets)).toEqual([]);
      expect(containing(logs.lines, secrets)).toEqual([]);
      expect(
        await db!('audit_events')
          .whereIn('action', ['secure_form.request', 'secure_form.submit'])
          .pluck('action'),
      ).toEqual(['secure_form.request', 'secure_form.submit']);

      // The chat ends: the key and the values are gone from the console.
      await pane.getByTestId('chat-end').click();
      await pane.getByTestId('chat-end-confirm').click();
      await agent
        .locator(`[data-testid=chat-pane][data-chat-id="${chatId}"][data-status=ended]`)
        .waitFor();
      await expectCount(pane.getByTestId('secure-form-panel'), 0);
      await expectCount(agent.getByText(CARD.name), 0);
      expect(await agent.content()).not.toContain(CARD.number.replace(/ /g, ''));
      await expectCount(visitor.getByTestId('secure-form'), 0);

      // An admin keeps only the last four digits for a department; the change is audited.
      await agent.goto(`${PARLEY_ORIGIN}/#/admin/card-masking`);
      const payments = agent.getByTestId('masking-department').filter({ hasText: 'Payments' });
      await payments.getByTestId('masking-last4').check();
      await payments.getByTestId('masking-save').click();
      await expectText(agent.getByTestId('masking-saved'), 'Saved for Payments.');
      expect(
        await db!('audit_events').where({ action: 'department.card_masking' }).count({ n: '*' }),
      ).toEqual([{ n: 1 }]);
      await screenshot(agent, 'pci-card-masking.png');
      expect(problems).toEqual([]);
    },
  );
});
