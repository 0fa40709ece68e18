// Issue 15 in a real browser: the site under a signed-in console and a chatting visitor turns
// standby (its database read-only, as a fence does), then primary again (as `make failover` does).
// The console says so instead of failing (and never signs anyone out), the widget waits calmly, and
// both carry on by themselves. Its own ports: 18571 (Parley) and 18572 (site).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../harness/factories.ts';
import { expectCount, expectText } from './browser.ts';
import { browserPages, signInConsole, startWidgetChat } from './stack.ts';
import { startSwitchableSite, type SwitchableSite } from './switchableSite.ts';

const PARLEY_ORIGIN = 'https://localhost:18571';
const SITE_ORIGIN = 'https://127.0.0.1:18572';
const ADMIN = {
  name: 'Ada Admin',
  email: 'ada@example.test',
  password: 'correct horse staple',
  role: 'admin' as const,
};
/** A role switch shows within a second; asking again takes the refusal's 5 s, plus jitter. */
const FOLLOWS_MS = 15_000;

let site: SwitchableSite | undefined;
// Chromium logs every refused call: a standby's 503s, and the polls of a socket it closed (400). A
// site turning standby closes its clients' transports on purpose; a packet the Socket.IO client was
// writing at that moment makes Chromium log the closed WebSocket (the client reconnects and resends).
const browser = browserPages({
  parleyOrigin: PARLEY_ORIGIN,
  label: 'standby',
  allow: (text, url) =>
    (url.startsWith(`${PARLEY_ORIGIN}/api/`) && text.includes('status of 503')) ||
    (url.startsWith(`${PARLEY_ORIGIN}/socket.io/`) && text.includes('status of 400')) ||
    (url.startsWith(`${PARLEY_ORIGIN}/assets/`) &&
      text === 'WebSocket is already in CLOSING or CLOSED state.'),
});

beforeAll(async () => {
  site = await startSwitchableSite({ parleyOrigin: PARLEY_ORIGIN, siteOrigin: SITE_ORIGIN });
  await createAgent(site.db, ADMIN);
}, 90_000);

afterAll(async () => {
  await browser.close();
  await site?.close();
});

async function visitorStarts(label: string, name: string): Promise<Page> {
  const page = await browser.open(label);
  await startWidgetChat(page, SITE_ORIGIN, { name });
  return page;
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('send').click();
}

const sent = (page: Page, text: string) =>
  page.locator('[data-testid=message][data-status=sent]').filter({ hasText: text });

describe('a site that turns standby and back', () => {
  it(
    'the console says so and carries on; the widget waits and delivers',
    { timeout: 60_000 },
    async () => {
      await browser.launch();
      const agent = await browser.open('console');
      const sessionChecks: number[] = [];
      agent.on('response', (response) => {
        if (response.url() === `${PARLEY_ORIGIN}/api/agent/session`)
          sessionChecks.push(response.status());
      });
      await signInConsole(agent, PARLEY_ORIGIN, ADMIN);
      const visitor = await visitorStarts('widget', 'Vera Visitor');
      const entry = agent.getByTestId('queue-entry').filter({ hasText: 'Vera Visitor' });
      await entry.getByTestId('queue-accept').click();
      await expectText(visitor.getByTestId('widget-title'), 'Chat with Ada Admin');

      // Fenced: the console shows the standby notice, still signed in; the widget waits calmly.
      site!.setRole('standby');
      const banner = agent.getByTestId('standby-banner');
      await expectText(banner, /^This is the standby site .*make failover.* every 5 s/);
      await expectCount(agent.locator('[data-testid=connection-status][data-state=standby]'), 1);
      // Nothing in the console can be used meanwhile (no Accept, no send that would only be refused).
      await expectCount(agent.locator('[data-testid=console-main][inert]'), 1);
      await visitor.getByTestId('widget-reconnecting').waitFor();
      await send(visitor, 'Still there?');
      await expectCount(visitor.locator('[data-testid=message][data-status=sending]'), 1);
      // A console opened on the standby shows the notice, not a sign-in form that cannot work.
      const newcomer = await browser.open('newcomer');
      await newcomer.goto(`${PARLEY_ORIGIN}/`);
      await newcomer.getByTestId('standby-banner').waitFor();
      expect(await newcomer.getByTestId('signin-email').count()).toBe(0);
      // A visitor who starts a chat now waits for it, without an error.
      const late = await visitorStarts('late visitor', 'Leo Late');
      await late.getByTestId('widget-reconnecting').waitFor();

      // The console asks again as told and stays signed in, the notice in place.
      await expect.poll(() => sessionChecks.at(-1), { timeout: FOLLOWS_MS }).toBe(503);
      await expectCount(banner, 1);
      await expectCount(agent.getByTestId('sign-out'), 1);
      expect(await agent.getByTestId('signin-email').count()).toBe(0);
      for (const page of [visitor, late])
        expect(await page.getByTestId('widget-error').count()).toBe(0);

      // Promoted: every page carries on by itself.
      site!.setRole('primary');
      await expectCount(banner, 0, FOLLOWS_MS);
      await expectCount(agent.locator('[data-testid=connection-status][data-state=connected]'), 1);
      await expectCount(agent.locator('[data-testid=console-main][inert]'), 0);
      await expectCount(sent(visitor, 'Still there?'), 1, FOLLOWS_MS);
      await expectCount(visitor.getByTestId('widget-reconnecting'), 0);
      const pane = agent.getByTestId('chat-pane');
      await expectCount(pane.getByTestId('message').filter({ hasText: 'Still there?' }), 1);
      await send(visitor, 'Good, you are back');
      await expectCount(pane.getByTestId('message').filter({ hasText: 'Good, you are back' }), 1);
      await send(agent, 'Yes, all here');
      await expectCount(visitor.getByTestId('message').filter({ hasText: 'Yes, all here' }), 1);
      // The late visitor's chat started, and the console's queue (reloaded) has it.
      await expectText(late.getByTestId('widget-title'), 'Waiting for an agent', FOLLOWS_MS);
      await expectCount(agent.getByTestId('queue-entry').filter({ hasText: 'Leo Late' }), 1);
      await newcomer.getByTestId('signin-email').waitFor({ timeout: FOLLOWS_MS });
      expect(sessionChecks.at(-1)).toBe(200);
      expect(browser.problems).toEqual([]);
    },
  );
});
