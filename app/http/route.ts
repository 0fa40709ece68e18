import type { RouterMiddleware } from '@koa/router';
import type { Requirement } from '../domain/permissions/catalogue.ts';
import { errors } from '../domain/errors.ts';
import { loadGrants, meets } from '../domain/permissions/policy.ts';
import { requireAgent } from './agentAuth.ts';
import type { ParleyRouter, ParleyState, Services } from './context.ts';

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
  const guard = (requirement: Requirement): Handler[] => {
    if (requirement === 'public') return [];
    if (requirement === 'visitor')
      throw new Error('HTTP routes for visitors check their token themselves');
    if (requirement === 'signedIn') return [signedIn];
    return [
      signedIn,
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
