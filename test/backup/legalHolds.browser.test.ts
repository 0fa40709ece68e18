// Legal holds in the console (issue 7): an admin places a hold on a chat from Admin › Legal holds
// with a reason, sees it listed, lifts it with a reason; the transcript view shows and changes the
// same hold; the audit log has every change with its reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditSearchResponse } from '../../app/shared/audit.ts';
import type { Db } from '../../app/storage/db.ts';
import { expectCount, expectText, screenshot } from '../browser/browser.ts';
import {
  browserPages,
  signInConsole,
  startBrowserStack,
  type BrowserStack,
} from '../browser/stack.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';

// Ports of their own, so this runs beside the other browser tests.
const PARLEY_ORIGIN = 'https://localhost:18943';
const SITE_ORIGIN = 'https://127.0.0.1:18944';
const ADMIN = {
  name: 'Cora Compliance',
  email: 'cora@example.test',
  password: 'correct horse hold',
};
const VISITOR = '00000000-0000-4000-8000-0000000000a1';

let stack: BrowserStack | undefined;
let db: Db | undefined;
let chatId = 0;
const browser = browserPages({
  parleyOrigin: PARLEY_ORIGIN,
  label: 'legal-holds',
  // Holding a chat that does not exist answers 404, which Chromium logs as a console error.
  allow: (text, url) =>
    /^https:\/\/localhost:18943\/api\/chats\/\d+\/legal-hold$/.test(url) &&
    text.includes('status of 404'),
});
const { problems } = browser;

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await createAgent(db, { ...ADMIN, role: 'admin' });
  await db('visitors').insert({ id: VISITOR });
  const [id] = await db('chats').insert({
    visitor_id: VISITOR,
    visitor_name: 'Ada Visitor',
    question: 'Please close my account',
    status: 'ended',
    ended_at: new Date(),
  });
  chatId = Number(id);
  stack = await startBrowserStack({ parleyOrigin: PARLEY_ORIGIN, siteOrigin: SITE_ORIGIN });
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

describe('legal holds in the console', () => {
  it(
    'places a hold on a chat with a reason, lists it, lifts it, and both are in the audit log',
    { timeout: 60_000 },
    async () => {
      await browser.launch();
      const page = await browser.open('console');
      await signInConsole(page, PARLEY_ORIGIN, ADMIN);

      await page.getByTestId('admin-link').click();
      await page.getByTestId('admin-nav-legal-holds').click();
      await expectText(page.locator('h1'), 'Legal holds');
      await page.getByTestId('legal-holds-empty').waitFor();

      // Errors in plain words: a malformed number (checked here) and an unknown chat (the server).
      await page.getByTestId('legal-hold-id').fill('12a');
      await page.getByTestId('legal-hold-reason').fill('Case 2026-114');
      await page.getByTestId('legal-hold-place').click();
      await expectText(page.getByTestId('legal-holds-error'), /^A chat number is a whole number/);
      await page.getByTestId('legal-hold-id').fill(String(chatId + 99));
      await page.getByTestId('legal-hold-place').click();
      await expectText(page.getByTestId('legal-holds-error'), 'No such chat.');

      await page.getByTestId('legal-hold-id').fill(String(chatId));
      await page.getByTestId('legal-hold-place').click();
      await expectText(
        page.getByTestId('legal-holds-done'),
        `Chat #${chatId} is now under legal hold.`,
      );
      const row = page.locator(`[data-testid=legal-hold-row][data-kind=chat][data-id="${chatId}"]`);
      await expectText(row.locator('td').nth(0), `Chat #${chatId} Ada Visitor`);
      await expectText(row.locator('td').nth(1), 'Case 2026-114');
      await expectText(row.locator('td').nth(2), ADMIN.name);
      expect(await page.getByTestId('legal-hold-id').inputValue()).toBe('');
      await screenshot(page, 'legal-holds-admin.png');

      // The transcript view shows the same hold.
      await row.getByRole('link', { name: `Chat #${chatId}` }).click();
      const panel = page.locator('[data-testid=transcript-legal-hold][data-held=true]');
      await expectText(
        panel.getByTestId('transcript-legal-hold-status'),
        /^Under legal hold: Case 2026-114 Placed by Cora Compliance on /,
      );
      await screenshot(page, 'legal-holds-transcript.png');
      await page.goBack();

      // Lifting asks for a reason.
      await row.getByTestId('legal-hold-lift').click();
      const dialog = page.getByTestId('legal-hold-lift-dialog');
      await expectText(dialog.locator('h2'), `Lift the legal hold on chat #${chatId}`);
      await dialog.getByTestId('legal-hold-lift-reason').fill('Case 2026-114 closed');
      await screenshot(page, 'legal-holds-lift.png');
      await dialog.getByTestId('legal-hold-lift-confirm').click();
      await expectText(
        page.getByTestId('legal-holds-done'),
        `The legal hold on chat #${chatId} is lifted.`,
      );
      await expectCount(page.getByTestId('legal-hold-row'), 0);
      await page.getByTestId('legal-holds-empty').waitFor();
      expect(await dialog.isVisible()).toBe(false);

      // Placed again from the transcript view, with its own reason.
      await page.goto(`${PARLEY_ORIGIN}/#/transcripts/${chatId}`);
      const unheld = page.locator('[data-testid=transcript-legal-hold][data-held=false]');
      await unheld.getByTestId('transcript-legal-hold-toggle').click();
      await unheld.getByTestId('transcript-legal-hold-reason').fill('Ticket SEC-7');
      await unheld.getByTestId('transcript-legal-hold-confirm').click();
      await expectText(
        panel.getByTestId('transcript-legal-hold-status'),
        /^Under legal hold: Ticket SEC-7 /,
      );

      // The audit log has every change, with who and why.
      const reply = await page.request.get(`${PARLEY_ORIGIN}/api/audit?action=legal_hold.*`);
      expect(reply.status()).toBe(200);
      const { entries } = (await reply.json()) as AuditSearchResponse;
      expect(
        entries.map((entry) => ({
          action: entry.action,
          actor: entry.actor.label,
          target: entry.target,
          details: entry.details,
        })),
      ).toEqual([
        {
          action: 'legal_hold.set',
          actor: ADMIN.email,
          target: { kind: 'chat', id: String(chatId) },
          details: { reason: 'Ticket SEC-7' },
        },
        {
          action: 'legal_hold.clear',
          actor: ADMIN.email,
          target: { kind: 'chat', id: String(chatId) },
          details: { reason: 'Case 2026-114 closed' },
        },
        {
          action: 'legal_hold.set',
          actor: ADMIN.email,
          target: { kind: 'chat', id: String(chatId) },
          details: { reason: 'Case 2026-114' },
        },
      ]);
      expect(await db!('chats').where({ id: chatId }).first('legal_hold')).toEqual({
        legal_hold: 1,
      });
      expect(problems).toEqual([]);
    },
  );
});
