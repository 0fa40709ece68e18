// The widget under a visitor limit, in a real browser (issue 12): a visitor who sends faster than
// the limit allows loses nothing. Refused messages stay "sending" and go out, in order, once the
// wait the server asked for is over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../app/storage/db.ts';
import { expectCount, expectText } from '../browser/browser.ts';
import {
  browserPages,
  signInConsole,
  startBrowserStack,
  type BrowserStack,
} from '../browser/stack.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { connectAgent, connected, nextEvent, type AgentSocket } from '../harness/parley.ts';
import type { QueueEntry } from '../../app/shared/protocol.ts';

const PARLEY_ORIGIN = 'https://localhost:19043';
const SITE_ORIGIN = 'https://127.0.0.1:19044';
const MESSAGES = 7;

let stack: BrowserStack | undefined;
let db: Db | undefined;
let agentSocket: AgentSocket | undefined;
const browser = browserPages({ parleyOrigin: PARLEY_ORIGIN, label: 'rate-limits' });

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  stack = await startBrowserStack({
    parleyOrigin: PARLEY_ORIGIN,
    siteOrigin: SITE_ORIGIN,
    overrides: { PARLEY_RATE_MESSAGE_PER_VISITOR: '2/3s+1' },
  });
});
afterAll(async () => {
  agentSocket?.disconnect();
  await browser.close();
  await stack?.close();
  await db?.destroy();
});

describe('the widget past the message limit', () => {
  it('waits as asked and delivers every message, in order', { timeout: 90_000 }, async () => {
    await browser.launch();
    const { agent, password } = await createAgent(db!);
    const session = await stack!.t
      .http()
      .post('/api/agent/session')
      .set('Origin', PARLEY_ORIGIN)
      .send({ email: agent.email, password })
      .expect(200);
    const cookie = ([] as string[]).concat(session.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
    agentSocket = connectAgent(stack!.t.url, cookie, {
      extraHeaders: { cookie, origin: PARLEY_ORIGIN },
    });
    await connected(agentSocket);
    const queued = nextEvent<QueueEntry[]>(agentSocket, 'queue:updated', (q) => q.length > 0);

    const page = await browser.open('widget');
    await page.goto(`${stack!.site.url}/`);
    await page.getByTestId('widget-launcher').click();
    await page.getByTestId('prechat-name').fill('Ada');
    await page.getByTestId('prechat-start').click();
    const [entry] = await queued;
    expect((await agentSocket.emitWithAck('chat:accept', { chatId: entry!.chatId })).ok).toBe(true);
    await expectText(page.getByTestId('widget-title'), /^Chat with /);

    const composer = page.getByTestId('composer');
    for (let i = 1; i <= MESSAGES; i += 1) {
      await composer.fill(`message ${i}`);
      await composer.press('Enter');
    }
    // Three pass at once (two, and one of the burst); the rest wait, then go out as allowed.
    const sent = page.locator('[data-testid=message][data-author=visitor][data-status=sent]');
    await expectCount(sent, MESSAGES, 60_000);
    await expectCount(page.locator('[data-status=failed]'), 0);
    const stored = await db!('messages')
      .where({ chat_id: entry!.chatId, author_kind: 'visitor' })
      .orderBy('seq')
      .pluck('body');
    expect(stored).toEqual(Array.from({ length: MESSAGES }, (_, i) => `message ${i + 1}`));
    expect(browser.problems).toEqual([]);
  });

  it('shows an admin those refusals in Admin › Visitor limits', { timeout: 60_000 }, async () => {
    const admin = await createAgent(db!, { role: 'admin' });
    const page = await browser.open('console');
    await signInConsole(page, PARLEY_ORIGIN, {
      email: admin.agent.email,
      password: admin.password,
    });
    await page.getByTestId('admin-link').click();
    await page.getByTestId('admin-nav-rate-limits').click();
    await expectText(page.getByRole('heading', { level: 1 }), 'Visitor limits');
    const messages = page.getByTestId('rate-limit-message');
    await expectText(messages, /2 per 3 s, \+ 1 per 30 s/);
    const refused = Number(await messages.locator('td').nth(3).textContent());
    // At least the first refused message; the widget holds the rest back until the wait is over.
    expect(refused).toBeGreaterThanOrEqual(1);
    await expectText(page.getByTestId('rate-limits-networks'), /127\.0\.0\.0\/24/);
    expect(browser.problems).toEqual([]);
  });
});
