import type { Next } from 'koa';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, normalize, resolve, sep } from 'node:path';
import { errors } from '../domain/errors.ts';
import type { ParleyContext } from './context.ts';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

async function fileIn(root: string, relative: string): Promise<string | null> {
  const path = resolve(root, normalize(relative).replace(/^([/\\])+/, ''));
  if (!path.startsWith(root + sep)) return null;
  const info = await stat(path).catch(() => null);
  return info?.isFile() ? path : null;
}

/** Serves the built console (an SPA) and the widget script; everything else falls through. */
export function staticUi(uiDir: string) {
  const consoleDir = resolve(uiDir, 'console');
  const widgetFile = resolve(uiDir, 'widget', 'widget.js');

  return async (ctx: ParleyContext, next: Next) => {
    if (!['GET', 'HEAD'].includes(ctx.method) || ctx.path.startsWith('/api/')) {
      await next();
      return;
    }
    let path: string | null;
    if (ctx.path === '/widget.js') {
      path = await fileIn(resolve(uiDir, 'widget'), 'widget.js');
      // Customer sites load this script from their own origin.
      ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
      ctx.set('Cache-Control', 'no-cache');
      if (!path) throw errors.unavailable(`The widget (${widgetFile})`);
    } else if (ctx.path.startsWith('/assets/')) {
      path = await fileIn(consoleDir, ctx.path);
      // Vite names assets by content hash: safe to cache for a year.
      ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    } else if (extname(ctx.path) === '') {
      path = await fileIn(consoleDir, 'index.html');
      ctx.set('Cache-Control', 'no-cache');
      if (!path) throw errors.unavailable('The console is not built (run `npm run build:ui`); it');
    } else {
      path = await fileIn(consoleDir, ctx.path);
    }
    if (!path) {
      await next();
      return;
    }
    ctx.type = types[extname(path)] ?? 'application/octet-stream';
    ctx.body = createReadStream(path);
  };
}

/** PARLEY_UI_DIR, absolute or relative to the working directory. */
export const defaultUiDir = (configured: string) => resolve(process.cwd(), configured);
