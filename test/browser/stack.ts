// A real Parley and a demo customer site on another origin, for the browser tests.
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Logger } from '../../app/log.ts';
import { startDemoSite } from '../../ops/dev/demoSite.ts';
import { devEnv, repoRoot } from '../harness/config.ts';
import { startTestParley, type TestParley } from '../harness/parley.ts';

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
