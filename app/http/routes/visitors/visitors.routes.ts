import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { widgetCors } from '../../widgetCors.ts';
import { rateLimited } from '../../rateLimited.ts';
import { inputOf, validate } from '../../validate.ts';
import { visitorTokenSchema } from './visitors.schema.ts';

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
