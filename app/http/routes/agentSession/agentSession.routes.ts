import type { SessionRestriction } from '../../../domain/agentSessions.ts';
import { isParleyError } from '../../../domain/errors.ts';
import { heldPermissions } from '../../../domain/accounts/privileges.ts';
import { presentAgent } from '../../../domain/presenters.ts';
import { SESSION_COOKIE } from '../../../domain/agentSessions.ts';
import { retryAfterOf, type SignInResult } from '../../../domain/signin/signIn.ts';
import {
  DEVICE_COOKIE,
  PENDING_SIGNIN_COOKIE,
  allowWhileRestricted,
  clearCookie,
  sameOriginOnly,
  sessionCookieOptions,
} from '../../agentAuth.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { captchaRequestSchema, codeSchema, signInSchema } from './agentSession.schema.ts';

/** `restriction` appears only when there is one: what the agent must do before anything else. */
const withRestriction = (
  agent: ReturnType<typeof presentAgent>,
  restriction: SessionRestriction,
) => (restriction ? { agent, restriction } : { agent });

export function agentSessionRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const client = (ctx: ParleyContext) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') });
  const deviceOf = (ctx: ParleyContext) => ctx.cookies.get(DEVICE_COOKIE);

  /** Runs a sign-in step; a rate-limited answer says when to come back. */
  async function step(ctx: ParleyContext, run: () => Promise<SignInResult>) {
    ctx.set('Cache-Control', 'no-store');
    try {
      return await run();
    } catch (error) {
      const retryAfter = retryAfterOf(error);
      if (isParleyError(error) && retryAfter !== undefined)
        ctx.set('Retry-After', String(retryAfter));
      throw error;
    }
  }

  function answer(ctx: ParleyContext, result: SignInResult) {
    if (result.kind === 'code') {
      ctx.cookies.set(PENDING_SIGNIN_COOKIE, result.pendingId, sessionCookieOptions());
      ctx.body = { next: 'code' };
      return;
    }
    ctx.cookies.set(SESSION_COOKIE, result.sessionId, sessionCookieOptions());
    // Persistent on purpose (README, "Device cookies"): it outlives sessions to keep this browser's allowance.
    ctx.cookies.set(DEVICE_COOKIE, result.deviceCookie, {
      ...sessionCookieOptions(),
      maxAge: services.signin.devices.lifetimeMs,
    });
    clearCookie(ctx, PENDING_SIGNIN_COOKIE);
    ctx.state.log.info({ agentId: result.agent.id }, 'agent signed in');
    ctx.body = withRestriction(presentAgent(result.agent), result.restriction);
  }

  // POST, with the email in the body: the work depends on the email's failures, and an email
  // has no place in a URL (proxy and access logs).
  routes.post(
    '/api/agent/captcha',
    'public',
    sameOrigin,
    validate(captchaRequestSchema),
    async (ctx) => {
      const { email } = inputOf(ctx, captchaRequestSchema);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await services.signin.captchaFor(email, client(ctx), deviceOf(ctx));
    },
  );

  routes.post('/api/agent/session', 'public', sameOrigin, validate(signInSchema), async (ctx) => {
    const input = inputOf(ctx, signInSchema);
    // End a session this browser already had, so sign-in always yields a fresh id.
    const previous = await services.sessions.resolve(ctx.cookies.get(SESSION_COOKIE), {
      allowRestricted: true,
    });
    if (previous) {
      await services.sessions.signOut(previous.sessionHash);
      services.disconnectAgentSession(previous.sessionHash, 'signed_out');
    }
    answer(ctx, await step(ctx, () => services.signin.password(input, client(ctx), deviceOf(ctx))));
  });

  routes.post(
    '/api/agent/session/totp',
    'public',
    sameOrigin,
    validate(codeSchema),
    async (ctx) => {
      const { code } = inputOf(ctx, codeSchema);
      const pendingId = ctx.cookies.get(PENDING_SIGNIN_COOKIE);
      try {
        answer(
          ctx,
          await step(ctx, () => services.signin.code(pendingId, code, client(ctx), deviceOf(ctx))),
        );
      } catch (error) {
        if (isParleyError(error) && error.id === 'totp_step_expired')
          clearCookie(ctx, PENDING_SIGNIN_COOKIE);
        throw error;
      }
    },
  );

  allowWhileRestricted('GET', '/api/agent/session');
  routes.get('/api/agent/session', 'signedIn', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const agent = ctx.state.agent!;
    const requirement = await services.totp.requirement(agent);
    ctx.body = {
      ...withRestriction(
        presentAgent(agent),
        requirement.required && !requirement.enabled ? 'totp_enrollment' : null,
      ),
      // What the console may show this agent (its nav); the server still checks every request.
      permissions: await heldPermissions(services.db, agent),
    };
  });

  allowWhileRestricted('DELETE', '/api/agent/session');
  routes.delete('/api/agent/session', 'signedIn', sameOrigin, async (ctx) => {
    const sessionHash = ctx.state.sessionHash!;
    const agent = ctx.state.agent!;
    await services.sessions.signOut(sessionHash);
    services.disconnectAgentSession(sessionHash, 'signed_out');
    clearCookie(ctx, SESSION_COOKIE);
    await services.availability.signedOut(agent.id, sessionHash, {
      actor: { kind: 'agent', id: agent.id, label: agent.email },
      source: { ip: ctx.ip, userAgent: ctx.get('User-Agent') },
    });
    await services.audit.record({
      actor: { kind: 'agent', id: agent.id, label: agent.email },
      action: 'agent.signout',
      outcome: 'success',
      target: { kind: 'agent', id: agent.id },
      ip: ctx.ip,
      userAgent: ctx.get('User-Agent'),
    });
    ctx.state.log.info({ agentId: agent.id }, 'agent signed out');
    ctx.status = 204;
  });
}
