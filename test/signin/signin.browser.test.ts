// The sign-in defences and two-factor in a real browser, under the console's strict CSP: the
// proof-of-work CAPTCHA solved by the page itself, TOTP set up on the Account page, a two-step
// sign-in, and an admin ending a session from Admin › Sessions.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import {
  expectCount,
  expectText,
  launchChromium,
  newContext,
  screenshot,
  watchPage,
} from '../browser/browser.ts';
import { failSignIns, nextCode } from './helpers.ts';

// Not 18443/18444: the chat browser test uses those.
const ORIGIN = 'https://localhost:18545';
const ANN = { name: 'Ann Agent', email: 'ann@example.test', password: 'correct horse staple' };
const BOSS = { name: 'Bo Admin', email: 'bo@example.test', password: 'battery staple horse' };

let t: TestParley;
let db: Db;
let browser: Browser;
const contexts: BrowserContext[] = [];
const problems: string[] = [];

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await createAgent(db, ANN);
  await createAgent(db, { ...BOSS, role: 'admin' });
  t = await startTestParley({
    PARLEY_PUBLIC_URL: ORIGIN,
    PARLEY_HTTPS_PORT: '18545',
    PARLEY_HTTP_REDIRECT: 'false',
    PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER: '20000',
  });
  browser = await launchChromium();
});

// Each test answers for what went wrong in its own pages.
beforeEach(() => {
  problems.length = 0;
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await t?.close();
  await db?.destroy();
});

async function openConsole(label: string): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  // Refused sign-ins and the first "who am I" (401) are answers the console handles.
  await watchPage(page, label, problems, (text) => /status of 40[13]/.test(text));
  await page.goto(`${ORIGIN}/`);
  return page;
}

async function fillSignIn(page: Page, who: { email: string; password: string }) {
  await page.getByTestId('signin-email').fill(who.email);
  await page.getByTestId('signin-password').fill(who.password);
  await page.getByTestId('signin-submit').click();
}

describe('sign-in defences and two-factor in the console', () => {
  it('solves the CAPTCHA, sets up TOTP, signs in with a code, and an admin ends the session', async () => {
    // Five failures (over the API): the console now has to prove it is human.
    await failSignIns(t, ANN.email, 5);
    const ann = await openConsole('ann');
    await fillSignIn(ann, ANN);
    await ann.getByTestId('transcripts-link').waitFor();
    expect(await db('signin_captcha_spent')).toHaveLength(1); // the page solved one
    // The browser now holds a persistent device cookie, out of the page's reach.
    const device = (await ann.context().cookies()).find((c) => c.name === '__Host-parley_device');
    expect(device).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(device!.expires * 1000 - Date.now()).toBeGreaterThan(89 * 86_400_000);

    // Account › two-factor: the QR code and the key, a code, recovery codes shown once.
    await ann.getByTestId('account-link').click();
    await ann.getByTestId('totp-setup').click();
    await ann.getByTestId('totp-qr').waitFor();
    const secret = ((await ann.getByTestId('totp-secret').textContent()) ?? '').trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(ann, 'signin-totp-setup.png');
    await ann.getByTestId('totp-confirm-code').fill(nextCode(secret, 0));
    await ann.getByTestId('totp-confirm').click();
    await expectCount(ann.locator('[data-testid=recovery-codes] li'), 10);
    await screenshot(ann, 'signin-recovery-codes.png');
    await ann.getByTestId('recovery-done').click();
    await expectText(ann.getByTestId('totp-status'), /is on .*10 of 10 recovery codes left/);
    await expectCount(ann.getByTestId('my-session'), 1);

    // Sign out and in again: the code step.
    await ann.getByTestId('sign-out').click();
    await fillSignIn(ann, ANN);
    await ann.getByTestId('signin-code').fill(nextCode(secret));
    await screenshot(ann, 'signin-code-step.png');
    await ann.getByTestId('signin-submit').click();
    await ann.getByTestId('transcripts-link').waitFor();

    // The admin sees Ann's session and ends it; Ann's console is signed out.
    const boss = await openConsole('boss');
    await fillSignIn(boss, BOSS);
    await boss.getByTestId('admin-sessions-link').click();
    await expectCount(boss.getByTestId('session-row'), 2);
    await screenshot(boss, 'signin-admin-sessions.png');
    const annRow = boss.getByTestId('session-row').filter({ hasText: ANN.email });
    await annRow.getByTestId('session-end').click();
    await expectCount(boss.getByTestId('session-row'), 1);
    await ann.getByTestId('signin-email').waitFor();

    // Refusals for unknown emails, their window over: the audit page writes their summary.
    await failSignIns(t, 'stranger@example.test', 3);
    await db('signin_refusal_windows').update({
      window_started_at: new Date(Date.now() - 16 * 60_000),
    });

    // The audit log shows it all: the TOTP set-up, the sign-ins, the ended session, the summary.
    await boss.getByTestId('audit-log-link').click();
    const actions = ['agent.totp_enable', 'agent.signin', 'session.end', 'agent.signin_summary'];
    for (const action of actions) {
      await boss.locator(`[data-testid=audit-row][data-action="${action}"]`).first().waitFor();
    }
    await screenshot(boss, 'signin-audit-log.png');

    expect(problems).toEqual([]);
  });

  it('shows the lock message that is the same for every account', async () => {
    await failSignIns(t, 'nobody@example.test', 9);
    const page = await openConsole('stranger');
    await fillSignIn(page, { email: 'nobody@example.test', password: 'guess' });
    await expectText(
      page.getByTestId('signin-error'),
      /If this account exists, it may be locked; try again later or ask an administrator\./,
    );
    await screenshot(page, 'signin-locked.png');
    expect(problems).toEqual([]);
  });
});
