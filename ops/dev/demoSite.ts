// A stand-in for a customer's website on another origin, embedding the widget with one script tag.
// Its CSP is as strict as a bank's: the widget must work without inline script or style.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export function demoPage(parleyUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Example Bank — Help</title>
<link rel="stylesheet" href="/site.css">
</head>
<body>
<header><h1>Example Bank</h1><p>Questions about your account? Chat with us.</p></header>
<main>
<p>This page is served from another origin than Parley, the way a customer's website embeds the widget.</p>
</main>
<script src="${parleyUrl}/widget.js" async></script>
</body>
</html>
`;
}

const css =
  'body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2733}header{border-bottom:1px solid #ccd}';

export async function startDemoSite(options: {
  host: string;
  port: number;
  parleyUrl: string;
  cert: Buffer;
  key: Buffer;
}) {
  const parley = new URL(options.parleyUrl).origin;
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${parley}`,
    `connect-src 'self' ${parley} ${parley.replace(/^https/, 'wss')}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
  ].join('; ');
  const server: Server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    if (req.url === '/site.css') {
      res.writeHead(200, { 'Content-Type': 'text/css' }).end(css);
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
    });
    res.end(demoPage(parley));
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  return { server, url: `https://${options.host}:${(server.address() as AddressInfo).port}` };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8444' },
      parley: {
        type: 'string',
        default: process.env.PARLEY_PUBLIC_URL ?? 'https://localhost:8443',
      },
    },
  });
  const site = await startDemoSite({
    host: '127.0.0.1',
    port: Number(values.port),
    parleyUrl: values.parley,
    cert: readFileSync(process.env.PARLEY_TLS_CERT_FILE ?? '.parley/tls/server.crt'),
    key: readFileSync(process.env.PARLEY_TLS_KEY_FILE ?? '.parley/tls/server.key'),
  });
  console.log(`demo site on ${site.url}`);
}
