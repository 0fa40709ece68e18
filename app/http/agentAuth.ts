import type { Next } from 'koa';
import { errors } from '../domain/errors.ts';
import { SESSION_COOKIE } from '../domain/agentSessions.ts';
import { requireAllowedAddress } from '../domain/ipRules/enforce.ts';
import type { ParleyContext } from './context.ts';
import type { Services } from '../services.ts';

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
    const signedIn = await services.sessions.resolve(ctx.cookies.get(SESSION_COOKIE), {
      allowRestricted: true,
    });
    if (!signedIn) throw errors.unauthenticated();
    // A session used from an address its agent may not use is ended, not just refused.
    await requireAllowedAddress(services, {
      ...signedIn,
      ip: ctx.state.clientIp,
      userAgent: ctx.get('User-Agent'),
      via: 'http',
    });
    if (signedIn.restriction && !allowedWhileRestricted.has(routeKeyOf(ctx))) {
      throw errors.totpEnrollmentRequired();
    }
    ctx.state.agent = signedIn.agent;
    ctx.state.sessionHash = signedIn.sessionHash;
    await next();
  };
}

/**
 * Routes a restricted session (role requires TOTP, not yet enrolled) may use: its own session,
 * the TOTP enrolment, and the password change. Everything else answers `totp_enrollment_required`.
 */
const allowedWhileRestricted = new Set<string>([
  'GET /api/agent/password',
  'POST /api/agent/password',
]);

export function allowWhileRestricted(method: string, path: string): void {
  allowedWhileRestricted.add(`${method.toUpperCase()} ${path}`);
}

const routeKeyOf = (ctx: ParleyContext) => `${ctx.method} ${String(ctx._matchedRoute ?? ctx.path)}`;

/**
 * Gives the signed-in agent a new session id, for a privilege change (TOTP enrolled, password
 * changed): the old id stops working and the cookie carries the new one. The agent's sockets
 * reconnect, so they run on the new session too. Call it from a signedIn route.
 */
export async function rotateSession(ctx: ParleyContext, services: Services): Promise<void> {
  const agent = ctx.state.agent!;
  const fresh = await services.sessions.rotate(ctx.state.sessionHash!, {
    ip: ctx.ip,
    userAgent: ctx.get('User-Agent'),
  });
  if (!fresh) throw errors.unauthenticated();
  ctx.cookies.set(SESSION_COOKIE, fresh.sessionId, sessionCookieOptions());
  ctx.state.sessionHash = fresh.sessionHash;
  // Once the browser has the new cookie: a socket that reconnected earlier would present the old one.
  ctx.res.once('finish', () => {
    setTimeout(() => services.disconnectAgent(agent.id, 'session_rotated', false), 250).unref();
  });
}

/** The sign-in waiting for its TOTP code: a cookie of its own, never accepted as a session. */
export const PENDING_SIGNIN_COOKIE = '__Host-parley_signin';

/** A browser that signed in to an account before (app/domain/signin/devices.ts); persistent. */
export const DEVICE_COOKIE = '__Host-parley_device';

export function clearCookie(ctx: ParleyContext, name: string): void {
  ctx.cookies.set(name, '', { ...sessionCookieOptions(), expires: new Date(0) });
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
