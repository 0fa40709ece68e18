import type { RouterMiddleware } from '@koa/router';
import type { Requirement } from '../shared/permissions.ts';
import { errors } from '../domain/errors.ts';
import { loadGrants, meets } from '../domain/permissions/policy.ts';
import { requireAgent } from './agentAuth.ts';
import { requireCurrentPassword } from './routes/password/passwordGate.ts';
import { widgetCors } from './widgetCors.ts';
import type { ParleyRouter, ParleyState } from './context.ts';
import type { Services } from '../services.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';
type Handler = RouterMiddleware<ParleyState>;

/** Every route Parley serves, with what it requires: a test fails for any route missing here. */
export const declaredRoutes = new Map<string, Requirement>();

export const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/**
 * The only way to add a route: it names its requirement, and the matching guard runs before the
 * handler. Deny by default — a permission the agent's grants do not hold is a 403.
 */
export function declare(router: ParleyRouter, services: Services) {
  const signedIn = requireAgent(services);
  const passwordCurrent = requireCurrentPassword(services);
  const cors = widgetCors(services);
  // A visitor route: the widget's CORS (which answers preflights), then `Authorization: Bearer <token>`.
  const visitor: Handler = async (ctx, next) => {
    const bearer = /^Bearer ([\x21-\x7e]{1,2048})$/.exec(ctx.get('Authorization'));
    const visitorId = bearer ? services.visitorTokens.verify(bearer[1]) : null;
    if (!visitorId) throw errors.unauthenticated();
    ctx.state.visitorId = visitorId;
    await next();
  };
  const guard = (requirement: Requirement): Handler[] => {
    if (requirement === 'public') return [];
    if (requirement === 'visitor') return [cors, visitor];
    if (requirement === 'signedIn') return [signedIn];
    return [
      signedIn,
      passwordCurrent,
      async (ctx, next) => {
        const grants = await loadGrants(services.db, ctx.state.agent!);
        if (!meets(grants, requirement)) throw errors.missingPermission(requirement);
        ctx.state.grants = grants;
        await next();
      },
    ];
  };
  const add =
    (method: Method) =>
    (path: string, requirement: Requirement, ...handlers: Handler[]) => {
      declaredRoutes.set(routeKey(method, path), requirement);
      router[method](path, ...guard(requirement), ...handlers);
    };
  return {
    get: add('get'),
    post: add('post'),
    put: add('put'),
    patch: add('patch'),
    delete: add('delete'),
    options: add('options'),
  };
}

export type Routes = ReturnType<typeof declare>;
