import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { refusalQuerySchema } from './rateLimits.schema.ts';

/** Admin › Visitor limits (issue 12): the rules, and how often each refused whom, per hour. */
export function rateLimitRoutes(routes: Routes, services: Services) {
  routes.get('/api/rate-limits', 'security.manage', validate(refusalQuerySchema), async (ctx) => {
    const { hours } = inputOf(ctx, refusalQuerySchema);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.rateLimits.report(hours);
  });
}
