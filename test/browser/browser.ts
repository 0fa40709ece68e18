// Real-browser helpers: Debian's Chromium driven by playwright-core (no downloaded browsers here).
import { existsSync, mkdirSync } from 'node:fs';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from '../harness/config.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = `${repoRoot}test-results/browser`;

/** Launches headless Chromium; a missing browser is a failure with the fix in the message, never a skip. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: the browser tests need it. ` +
        'Install it with `bash ops/dev/install-deps.sh` (or `apt-get install -y chromium`).',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A fresh profile (own cookies and storage); the dev certificate is signed by a local CA. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  // Everything here answers in milliseconds: fail fast, well inside the test's own timeout.
  context.setDefaultTimeout(10_000);
  return context;
}

/**
 * Records everything on a page that means something went wrong: console errors (Chromium reports
 * CSP violations there), uncaught exceptions, `securitypolicyviolation` events and dialogs (an
 * `alert()` would mean injected markup ran). `allow` filters console errors the browser logs for
 * expected answers.
 */
export async function watchPage(
  page: Page,
  label: string,
  problems: string[],
  allow: (text: string, url: string) => boolean = () => false,
): Promise<void> {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url;
    if (allow(message.text(), url)) return;
    problems.push(`${label} console error: ${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => problems.push(`${label} page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`${label} dialog (${dialog.type()}): ${dialog.message()}`);
    void dialog.dismiss();
  });
  // Bindings and init scripts come in through the DevTools protocol, so the page's CSP does not apply.
  await page.exposeFunction('__parleyCspViolation', (report: string) =>
    problems.push(`${label} CSP violation: ${report}`),
  );
  await page.addInitScript(() => {
    document.addEventListener(
      'securitypolicyviolation',
      (event) => {
        const binding = window as unknown as { __parleyCspViolation: (r: string) => void };
        binding.__parleyCspViolation(
          `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`,
        );
      },
      true,
    );
  });
}

/** Waits until the locator's text (whitespace collapsed) matches. */
export async function expectText(
  locator: Locator,
  expected: string | RegExp,
  timeout = 10_000,
): Promise<void> {
  await expect
    .poll(
      async () =>
        ((await locator.count()) > 0 ? ((await locator.first().textContent()) ?? '') : '')
          .replace(/\s+/g, ' ')
          .trim(),
      { timeout, interval: 50 },
    )
    .toMatch(expected instanceof RegExp ? expected : new RegExp(`^${escapeRegExp(expected)}$`));
}

/** Waits until the locator matches `count` elements. */
export async function expectCount(locator: Locator, count: number, timeout = 10_000) {
  await expect.poll(() => locator.count(), { timeout, interval: 50 }).toBe(count);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}` });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
