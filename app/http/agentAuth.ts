import type { Next } from 'koa';
import { errors } from '../domain/errors.ts';
import type { ParleyContext, Services } from './context.ts';

// `__Host-` binds the cookie to this exact origin over HTTPS: no Domain, Path=/, Secure.
export const SESSION_COOKIE = '__Host-parley_session';

export function sessionCookieOptions() {
  // No maxAge or expires: a session-only cookie, gone when the browser closes.
  return {
    httpOnly: true,
    secure: true,
    sameSite: 'strict' as const,
    path: '/',
    overwrite: true,
    signed: false,
  };
}

/** Requires a signed-in agent; the session comes from the server-side store, never from the cookie alone. */
export function requireAgent(services: Services) {
  return async (ctx: ParleyContext, next: Next) => {
    const signedIn = await services.sessions.resolve(ctx.cookies.get(SESSION_COOKIE));
    if (!signedIn) throw errors.unauthenticated();
    ctx.state.agent = signedIn.agent;
    ctx.state.sessionHash = signedIn.sessionHash;
    await next();
  };
}

/**
 * Cross-site request forgery guard for the console API: a state-changing request must come from
 * Parley's own origin (browsers always send Origin on such requests) and carry JSON.
 */
export function sameOriginOnly(publicOrigin: string) {
  return async (ctx: ParleyContext, next: Next) => {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) {
      const origin = ctx.get('Origin');
      if (origin !== '' && origin !== publicOrigin) throw errors.originNotAllowed();
      if (
        origin === '' &&
        ctx.get('Sec-Fetch-Site') !== '' &&
        ctx.get('Sec-Fetch-Site') !== 'same-origin'
      ) {
        throw errors.originNotAllowed();
      }
      if (ctx.method !== 'DELETE' && !ctx.is('application/json')) {
        throw errors.invalidInput('Send the request body as application/json.');
      }
    }
    await next();
  };
}
