import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import {
  expectCount,
  expectText,
  launchChromium,
  newContext,
  screenshot,
  watchPage,
} from '../browser/browser.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';

// Admin › IP restrictions in a real browser, under the console's strict CSP: add rules at each
// level, see a bad range refused, and meet the lock-out confirmation. Its own port (18643): the
// main browser test owns 18443/18444.

const ORIGIN = 'https://localhost:18643';
let t: TestParley;
let db: Db;
let browser: Browser | undefined;

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  t = await startTestParley({
    PARLEY_HTTPS_PORT: '18643',
    PARLEY_PUBLIC_URL: ORIGIN,
    PARLEY_HTTP_REDIRECT: 'false',
  });
  t.parley.services.ipRules.invalidate();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await db?.destroy();
});

it('manages IP rules and asks before locking the admin out', async () => {
  const { agent, password } = await createAgent(db, { role: 'admin', name: 'Boss' });
  const { agent: ann } = await createAgent(db, { name: 'Ann Agent' });
  const context = await newContext(browser!);
  const page = await context.newPage();
  const problems: string[] = [];
  // Chromium logs every non-2xx answer as a console error; these are the ones the page expects.
  // After the confirmed lock-out the console's next request is refused (403): that is the point.
  let lockedOut = false;
  await watchPage(
    page,
    'console',
    problems,
    (text) => /status of (400|401|409)/.test(text) || (lockedOut && /status of 403/.test(text)),
  );

  await page.goto(`${ORIGIN}/`);
  await page.getByTestId('signin-email').fill(agent.email);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('ip-rules-link').click();
  await expectText(page.getByTestId('ip-rules-your-address'), '127.0.0.1');

  const rows = page.getByTestId('ip-rule-row');
  await page.getByTestId('ip-rule-cidr').fill('127.0.0.0/8');
  await page.getByTestId('ip-rule-note').fill('Loopback');
  await page.getByTestId('ip-rule-add').click();
  await expectCount(rows, 1);

  await page.getByTestId('ip-rule-scope').selectOption('agent');
  await page.getByTestId('ip-rule-agent').selectOption(String(ann.id));
  await page.getByTestId('ip-rule-cidr').fill('2001:DB8::/32');
  await page.getByTestId('ip-rule-add').click();
  await expectCount(rows, 2);
  await expectText(
    page.locator('[data-testid=ip-rule-row][data-scope=agent] td').first(),
    '2001:db8::/32',
  );

  await page.getByTestId('ip-rule-scope').selectOption('global');
  await page.getByTestId('ip-rule-cidr').fill('10.0.0.1/8');
  await page.getByTestId('ip-rule-add').click();
  await expectText(page.getByTestId('ip-rules-error'), /host bits set: write 10\.0\.0\.0\/8/);

  await page.getByTestId('ip-rule-cidr').fill('192.0.2.0/24');
  await page.getByTestId('ip-rule-add').click();
  await expectCount(rows, 3);

  // Removing the loopback entry would leave only 192.0.2.0/24: the admin's own address is out.
  const loopback = page.locator('[data-testid=ip-rule-row][data-scope=global]').first();
  const dialog = page.getByTestId('ip-rules-lockout-dialog');
  await loopback.getByTestId('ip-rule-remove').click();
  await dialog.waitFor({ state: 'visible' });
  await expectText(dialog.locator('p'), /^Your current address is 127\.0\.0\.1\./);
  await screenshot(page, 'ip-rules-lockout.png');
  await page.getByTestId('ip-rules-lockout-cancel').click();
  await dialog.waitFor({ state: 'hidden' });
  await expectCount(rows, 3);

  await loopback.getByTestId('ip-rule-remove').click();
  lockedOut = true;
  await page.getByTestId('ip-rules-lockout-confirm').click();
  // Confirmed: the rule is gone and this very session is ended.
  await page.getByTestId('signin-email').waitFor({ state: 'visible' });
  expect(await db('ip_rules').pluck('cidr')).toEqual(['2001:db8::/32', '192.0.2.0/24']);
  expect(problems).toEqual([]);
  await context.close();
});
