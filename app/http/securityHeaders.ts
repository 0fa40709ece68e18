import type { Context, Next } from 'koa';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

const adapt = (middleware: NodeMiddleware) => (ctx: Context, next: Next) =>
  new Promise<void>((resolve, reject) =>
    middleware(ctx.req, ctx.res, (err?: unknown) =>
      err ? reject(err instanceof Error ? err : new Error('security headers failed')) : resolve(),
    ),
  ).then(next);

/** Helmet with Parley's policy: no inline script or style, never framed, HSTS, nosniff, no referrer. */
export function securityHeaders() {
  return adapt(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'", 'wss:'],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      crossOriginOpenerPolicy: { policy: 'same-origin' },
      xFrameOptions: { action: 'deny' },
    }),
  );
}
