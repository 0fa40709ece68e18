import type { Next, ParameterizedContext } from 'koa';
import { errors } from '../domain/errors.ts';
import type { Services } from '../services.ts';
import type { ParleyState } from './context.ts';

/** CORS for the widget: only configured site origins (and Parley's own) may call the visitor API. */
export function widgetCors(services: Services) {
  const allowed = new Set([
    services.config.publicOrigin,
    ...services.config.env.PARLEY_WIDGET_ORIGINS,
  ]);
  // Any context: a route's, or the app's own before routing (a standby site's refusal, issue 15).
  return async (ctx: ParameterizedContext<ParleyState>, next: Next) => {
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
