// A real Parley and a demo customer site on another origin, for the browser tests.
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { onTestFailed } from 'vitest';
import type { Logger } from '../../app/log.ts';
import { startDemoSite } from '../../ops/dev/demoSite.ts';
import { devEnv, repoRoot } from '../harness/config.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';
import { launchChromium, newContext, screenshot, watchPage } from './browser.ts';

export interface BrowserStack {
  t: TestParley;
  site: { server: Server; url: string };
  close(): Promise<void>;
}

/**
 * Parley on `parleyOrigin`'s port (its public URL, so the console's Origin checks pass) and the demo
 * site on `siteOrigin`'s port (the allowed widget origin). Each browser test file uses its own pair.
 */
export async function startBrowserStack(options: {
  parleyOrigin: string;
  siteOrigin: string;
  overrides?: Record<string, string>;
  log?: Logger;
}): Promise<BrowserStack> {
  for (const built of ['console/index.html', 'widget/widget.js']) {
    const path = `${repoRoot}ui/dist/${built}`;
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:ui\` first`);
  }
  const t = await startTestParley(
    {
      PARLEY_HTTPS_PORT: new URL(options.parleyOrigin).port,
      PARLEY_HTTP_REDIRECT: 'false',
      PARLEY_PUBLIC_URL: options.parleyOrigin,
      PARLEY_WIDGET_ORIGINS: options.siteOrigin,
      ...options.overrides,
    },
    options.log,
  );
  const env = devEnv();
  const site = await startDemoSite({
    host: '127.0.0.1',
    port: Number(new URL(options.siteOrigin).port),
    parleyUrl: options.parleyOrigin,
    cert: readFileSync(env.PARLEY_TLS_CERT_FILE!),
    key: readFileSync(env.PARLEY_TLS_KEY_FILE!),
  });
  return {
    t,
    site,
    async close() {
      site.server.closeAllConnections();
      await new Promise<void>((resolve) => site.server.close(() => resolve()));
      await t.close();
    },
  };
}

export type Allow = (text: string, url: string) => boolean;

/**
 * The browser side of a test: Chromium, one profile per page, every page watched for errors.
 * `launch()` runs inside the test (a machine without Chromium fails it, with the fix) and makes a red
 * run explain itself: a screenshot of each page and the problems seen.
 */
export function browserPages(options: { parleyOrigin: string; label: string; allow?: Allow }) {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pages = new Map<string, Page>();
  const problems: string[] = [];
  // Before signing in, the console asks who is signed in and gets a 401: Chromium logs every
  // non-2xx answer as a console error, though the app handles it.
  const allowed: Allow = (text, url) =>
    (url === `${options.parleyOrigin}/api/agent/session` && text.includes('status of 401')) ||
    (options.allow?.(text, url) ?? false);
  return {
    problems,
    async launch() {
      onTestFailed(async () => {
        for (const [label, page] of pages) {
          const name = `${options.label}-failed-${label.replace(/\W+/g, '-')}.png`;
          await screenshot(page, name).catch(() => undefined);
        }
        if (problems.length > 0) console.error(`Browser problems:\n${problems.join('\n')}`);
      });
      browser = await launchChromium();
    },
    async open(label: string): Promise<Page> {
      if (!browser) throw new Error('launch() the browser first');
      const context = await newContext(browser);
      contexts.push(context);
      const page = await context.newPage();
      pages.set(label, page);
      await watchPage(page, label, problems, allowed);
      return page;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser?.close();
    },
  };
}

/** Signs an agent in on the console and waits until its socket is connected. */
export async function signInConsole(
  page: Page,
  parleyOrigin: string,
  agent: { email: string; password: string },
): Promise<void> {
  await page.goto(`${parleyOrigin}/`);
  await page.getByTestId('signin-email').fill(agent.email);
  await page.getByTestId('signin-password').fill(agent.password);
  await page.getByTestId('signin-submit').click();
  await page.locator('[data-testid=connection-status][data-state=connected]').waitFor();
}

/** On the customer's page, a visitor opens the widget and starts a chat (fields optional). */
export async function startWidgetChat(
  page: Page,
  siteUrl: string,
  details: { name?: string; email?: string; question?: string } = {},
): Promise<void> {
  await page.goto(`${siteUrl}/`);
  await page.getByTestId('widget-launcher').click();
  for (const [field, value] of Object.entries(details))
    await page.getByTestId(`prechat-${field}`).fill(value);
  await page.getByTestId('prechat-start').click();
}
