import type { Next } from 'koa';
import { errors } from '../../../domain/errors.ts';
import type { ParleyContext, Services } from '../../context.ts';
import type { Routes } from '../../route.ts';
import { rateLimited } from '../../rateLimited.ts';
import { inputOf, validate } from '../../validate.ts';
import { visitorTokenSchema } from './visitors.schema.ts';

/** CORS for the widget: only configured site origins (and Parley's own) may call the visitor API. */
export function widgetCors(services: Services) {
  const allowed = new Set([
    services.config.publicOrigin,
    ...services.config.env.PARLEY_WIDGET_ORIGINS,
  ]);
  return async (ctx: ParleyContext, next: Next) => {
    const origin = ctx.get('Origin');
    ctx.vary('Origin');
    if (origin !== '') {
      if (!allowed.has(origin)) throw errors.originNotAllowed();
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Expose-Headers', 'X-Request-Id, Content-Disposition, Retry-After');
    }
    if (ctx.method === 'OPTIONS') {
      ctx.set('Access-Control-Allow-Methods', 'GET, POST');
      ctx.set(
        'Access-Control-Allow-Headers',
        'Content-Type, Authorization, X-Parley-File-Name, X-Parley-Client-Id',
      );
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}

export function visitorRoutes(routes: Routes, services: Services) {
  const cors = widgetCors(services);
  routes.options('/api/visitor/token', 'public', cors);
  // Counted per address, and per visitor when a valid token is renewed (issue 12).
  const knownVisitor = (ctx: ParleyContext) => {
    const { token } = inputOf(ctx, visitorTokenSchema);
    return token ? services.visitorTokens.verify(token) : null;
  };
  const limit = rateLimited(services, 'token', knownVisitor);
  routes.post('/api/visitor/token', 'public', cors, validate(visitorTokenSchema), limit, (ctx) => {
    const known = knownVisitor(ctx);
    // An unknown or expired token is not an error: the visitor simply starts afresh.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = known
      ? { visitorId: known, token: services.visitorTokens.renew(known) }
      : services.visitorTokens.issue();
  });
}
