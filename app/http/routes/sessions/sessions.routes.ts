import { presentSession } from '../../../domain/agentSessions.ts';
import { errors } from '../../../domain/errors.ts';
import type { SessionRow } from '../../../storage/sessions.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { listSchema, ownListSchema } from './sessions.schema.ts';

// Sessions are named by a handle (a prefix of the stored hash), never by their id.
export function sessionRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const { sessions } = services;

  async function end(ctx: ParleyContext, session: SessionRow, by: 'admin' | 'self') {
    const actor = ctx.state.agent!;
    await sessions.signOut(session.id_hash);
    // An admin ending a session also ends the trust of the agent's browsers (device cookies).
    if (by === 'admin') await services.signin.devices.revoke(session.agent_id);
    services.disconnectAgentSession(
      session.id_hash,
      by === 'admin' ? 'ended_by_admin' : 'signed_out',
    );
    await services.audit.record({
      actor: { kind: 'agent', id: actor.id, label: actor.email },
      action: 'session.end',
      outcome: 'success',
      target: { kind: 'agent', id: session.agent_id },
      ip: ctx.ip,
      userAgent: ctx.get('User-Agent'),
      details: { by, handle: String(ctx.params.handle), ip: session.ip },
    });
    ctx.status = 204;
  }

  routes.get('/api/sessions', 'security.manage', validate(listSchema), async (ctx) => {
    const { agentId } = inputOf(ctx, listSchema);
    ctx.set('Cache-Control', 'no-store');
    const rows = await sessions.list(agentId);
    ctx.body = { sessions: rows.map((row) => presentSession(row, ctx.state.sessionHash)) };
  });

  routes.delete('/api/sessions/:handle', 'security.manage', sameOrigin, async (ctx) => {
    const session = await sessions.byHandle(String(ctx.params.handle));
    if (!session) throw errors.notFound('session');
    await end(ctx, session, 'admin');
  });

  routes.get('/api/agent/sessions', 'signedIn', validate(ownListSchema), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const rows = await sessions.list(ctx.state.agent!.id);
    ctx.body = { sessions: rows.map((row) => presentSession(row, ctx.state.sessionHash)) };
  });

  routes.delete('/api/agent/sessions/:handle', 'signedIn', sameOrigin, async (ctx) => {
    const session = await sessions.byHandle(String(ctx.params.handle), ctx.state.agent!.id);
    if (!session) throw errors.notFound('session');
    await end(ctx, session, 'self');
  });
}
