import type { Next } from 'koa';
import type { LimitId } from '../domain/rateLimits/limits.ts';
import type { ParleyContext } from './context.ts';
import type { Services } from '../services.ts';

/**
 * A visitor limit on a route (issue 12): the attempt is counted against the client's address and,
 * when known, the visitor; past the limit it is refused with 429, `too_many_requests` and
 * Retry-After (errorHandler), before the handler reads anything more.
 */
export function rateLimited(
  services: Services,
  limit: LimitId,
  visitorOf: (ctx: ParleyContext) => string | null = () => null,
) {
  return async (ctx: ParleyContext, next: Next) => {
    await services.rateLimits.enforce(limit, {
      address: ctx.state.clientIp,
      visitorId: visitorOf(ctx),
    });
    await next();
  };
}
