import { presentAgent } from '../../../domain/presenters.ts';
import { SESSION_COOKIE, sameOriginOnly, sessionCookieOptions } from '../../agentAuth.ts';
import type { Services } from '../../context.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { signInSchema } from './agentSession.schema.ts';

export function agentSessionRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  routes.post('/api/agent/session', 'public', sameOrigin, validate(signInSchema), async (ctx) => {
    const { email, password } = inputOf(ctx, signInSchema);
    // End a session this browser already had, so sign-in always yields a fresh id.
    const previous = await services.sessions.resolve(ctx.cookies.get(SESSION_COOKIE));
    if (previous) await services.sessions.signOut(previous.sessionHash);
    const { sessionId, agent } = await services.sessions.signIn(email, password, {
      ip: ctx.ip,
      userAgent: ctx.get('User-Agent'),
    });
    ctx.cookies.set(SESSION_COOKIE, sessionId, sessionCookieOptions());
    ctx.state.log.info({ agentId: agent.id }, 'agent signed in');
    ctx.body = { agent: presentAgent(agent) };
  });

  routes.get('/api/agent/session', 'signedIn', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { agent: presentAgent(ctx.state.agent!) };
  });

  routes.delete('/api/agent/session', 'signedIn', sameOrigin, async (ctx) => {
    const sessionHash = ctx.state.sessionHash!;
    await services.sessions.signOut(sessionHash);
    services.disconnectAgentSession(sessionHash, 'signed_out');
    ctx.cookies.set(SESSION_COOKIE, '', { ...sessionCookieOptions(), expires: new Date(0) });
    ctx.state.log.info({ agentId: ctx.state.agent!.id }, 'agent signed out');
    ctx.status = 204;
  });
}
