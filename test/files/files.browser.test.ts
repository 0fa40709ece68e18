// File transfer in real browsers: a visitor in the widget on a customer page sends a PNG, the agent
// sees its card in the console and downloads the very same bytes; the agent sends a PDF, the visitor
// downloads it; an EICAR test file is refused by the virus scanner, in plain words on both sides.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
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
import { eicar } from './privateClamd.ts';

// Ports of their own, so this runs beside the other browser tests.
const PARLEY_ORIGIN = 'https://localhost:18843';
const SITE_ORIGIN = 'https://127.0.0.1:18844';
const AGENT = { name: 'Fay Files', email: 'fay@example.test', password: 'correct horse staple' };

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.4\n% statement\n'),
  randomBytes(20_000),
  Buffer.from('\n%%EOF\n'),
]);
const PNG_NAME = 'screen shot.png';
const PDF_NAME = 'Statement March.pdf';

const filesDir = mkdtempSync(join(tmpdir(), 'parley-files-ui-'));
let stack: BrowserStack | undefined;
let db: Db | undefined;
let site: { server: Server; url: string } | undefined;
const browser = browserPages({
  parleyOrigin: PARLEY_ORIGIN,
  label: 'files',
  // The upload the virus scanner blocks answers 422, which Chromium logs as a console error.
  allow: (text, url) =>
    /^https:\/\/localhost:18843\/api\/visitor\/chats\/\d+\/files$/.test(url) &&
    text.includes('status of 422'),
});
const { problems } = browser;
const openPage = (label: string) => browser.open(label);

beforeAll(async () => {
  db = testDb();
  await truncateAll(db);
  await createAgent(db, AGENT);
  stack = await startBrowserStack({
    parleyOrigin: PARLEY_ORIGIN,
    siteOrigin: SITE_ORIGIN,
    overrides: { PARLEY_FILES_DIR: filesDir, PARLEY_FILE_ALLOWED_TYPES: 'png,pdf,txt' },
  });
  site = stack.site;
});

afterAll(async () => {
  await browser.close();
  await stack?.close();
  await db?.destroy();
  rmSync(filesDir, { recursive: true, force: true });
});

/** Clicks a card's download button and returns the bytes the browser saved, and their name. */
async function download(page: Page, card: Locator): Promise<{ name: string; data: Buffer }> {
  const [saved] = await Promise.all([
    page.waitForEvent('download'),
    card.getByTestId('file-download').click(),
  ]);
  const path = await saved.path();
  expect(await saved.failure()).toBeNull();
  return { name: saved.suggestedFilename(), data: readFileSync(path) };
}

describe('file transfer in a real browser', () => {
  it(
    'a visitor sends a PNG and the agent a PDF, both download the same bytes; EICAR is blocked',
    { timeout: 60_000 },
    async () => {
      await browser.launch();

      // The agent signs in; a visitor on the customer's page starts a chat; the agent accepts it.
      const agent = await openPage('console');
      await signInConsole(agent, PARLEY_ORIGIN, AGENT);

      const visitor = await openPage('widget');
      await visitor.goto(`${site!.url}/`);
      await visitor.getByTestId('widget-launcher').click();
      await visitor.getByTestId('prechat-name').fill('Ada Visitor');
      await visitor.getByTestId('prechat-question').fill('Here is a screenshot of the error');
      await visitor.getByTestId('prechat-start').click();

      const entry = agent.getByTestId('queue-entry').filter({ hasText: 'Ada Visitor' });
      await entry.waitFor();
      const chatId = (await entry.getAttribute('data-chat-id'))!;
      await entry.getByTestId('queue-accept').click();
      const pane = agent.locator(`[data-testid=chat-pane][data-chat-id="${chatId}"]`);
      await pane.waitFor();
      await expectText(visitor.getByTestId('widget-title'), 'Chat with Fay Files');

      // The visitor attaches a PNG (the hidden file input behind the "Attach a file" button).
      await expectText(visitor.getByTestId('file-attach'), 'Attach a file');
      await visitor
        .getByTestId('file-input')
        .setInputFiles({ name: PNG_NAME, mimeType: 'image/png', buffer: PNG });

      // The agent sees its card: name, size, type, scanned clean; and downloads the same bytes.
      const pngCard = pane
        .locator('[data-testid=message][data-author=visitor]')
        .getByTestId('file-card')
        .filter({ hasText: PNG_NAME });
      await pngCard.waitFor();
      await expectText(pngCard.locator('.file-name'), PNG_NAME);
      await expectText(
        pngCard.locator('.file-meta'),
        `${PNG.length} B · image/png · Virus scan: clean`,
      );
      await expectText(pngCard.getByTestId('file-scan'), 'Virus scan: clean');
      await expectText(pngCard.getByTestId('file-download'), `Download ${PNG_NAME}`);
      const agentGot = await download(agent, pngCard);
      expect(agentGot.name).toBe(PNG_NAME);
      expect(Buffer.compare(agentGot.data, PNG)).toBe(0);
      // The visitor's own message shows the card too, once sent.
      await visitor
        .locator('[data-testid=message][data-author=visitor][data-status=sent]')
        .getByTestId('file-card')
        .filter({ hasText: PNG_NAME })
        .waitFor();
      await visitor.getByTestId('file-progress').waitFor({ state: 'detached' });
      await expectCount(visitor.getByTestId('file-error'), 0);

      // The agent attaches a PDF: the visitor sees its card and downloads the same bytes.
      await pane
        .getByTestId('file-input')
        .setInputFiles({ name: PDF_NAME, mimeType: 'application/pdf', buffer: PDF });
      const pdfCard = visitor
        .locator('[data-testid=message][data-author=agent]')
        .getByTestId('file-card')
        .filter({ hasText: PDF_NAME });
      await pdfCard.waitFor();
      await expectText(pdfCard.locator('.file-name'), PDF_NAME);
      await expectText(
        pdfCard.locator('.file-meta'),
        `${(PDF.length / 1024).toFixed(0)} KB · application/pdf · Virus scan: clean`,
      );
      const visitorGot = await download(visitor, pdfCard);
      expect(visitorGot.name).toBe(PDF_NAME);
      expect(Buffer.compare(visitorGot.data, PDF)).toBe(0);
      await pane
        .locator('[data-testid=message][data-author=agent]')
        .getByTestId('file-card')
        .filter({ hasText: PDF_NAME })
        .waitFor();
      await pane.getByTestId('file-progress').waitFor({ state: 'detached' });
      await expectCount(pane.getByTestId('file-error'), 0);

      // A text file with the EICAR test string (built at run time): refused in plain words in the
      // widget, a notice in the console, no card on either side.
      await visitor
        .getByTestId('file-input')
        .setInputFiles({ name: 'eicar.txt', mimeType: 'text/plain', buffer: eicar() });
      await expectText(
        visitor.getByTestId('file-error'),
        'This file was blocked by the virus scanner.',
      );
      await expectText(
        pane.locator('[data-testid=message][data-author=system]').last(),
        'A file from the visitor was blocked by the virus scanner.',
      );
      await expectCount(pane.getByTestId('file-card'), 2);
      await expectCount(visitor.getByTestId('file-card'), 2);
      await expectCount(agent.getByText('eicar.txt'), 0);
      await expect
        .poll(() => visitor.getByTestId('file-attach').isEnabled(), { timeout: 10_000 })
        .toBe(true);

      await screenshot(agent, 'files-console.png');
      await screenshot(visitor, 'files-widget.png');

      // Nothing infected was stored: only the PNG and the PDF.
      expect(await db!('files').orderBy('id').pluck('name')).toEqual([PNG_NAME, PDF_NAME]);

      // No console errors, uncaught exceptions, CSP violations or dialogs on either page.
      expect(problems).toEqual([]);
    },
  );
});
