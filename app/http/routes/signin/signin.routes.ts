import { errors } from '../../../domain/errors.ts';
import { findAgent } from '../../../domain/accounts/agents.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { validate } from '../../validate.ts';
import { agentIdParams, emptySchema } from './signin.schema.ts';

// What admins do about sign-in defences: see locked accounts, unlock one.
export function signinRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const defences = services.signin.defences;

  routes.get('/api/signin/locks', 'security.manage', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const locked = await defences.lockedAgents();
    ctx.body = {
      locks: locked.map((row) => ({
        agent: { id: Number(row.id), name: row.name, email: row.email },
        failures: Number(row.failures),
        lockedUntil: row.locked_until.toISOString(),
      })),
    };
  });

  routes.post(
    '/api/agents/:id/unlock',
    'security.manage',
    sameOrigin,
    validate(emptySchema),
    async (ctx) => {
      const params = agentIdParams.safeParse(ctx.params);
      if (!params.success) throw errors.invalidInput('id: must be an agent id');
      const agent = await findAgent(services.db, params.data.id);
      const wasLocked = await defences.unlock(agent.id, agent.email);
      const actor = ctx.state.agent!;
      await services.audit.record({
        actor: { kind: 'agent', id: actor.id, label: actor.email },
        action: 'agent.unlock',
        outcome: 'success',
        target: { kind: 'agent', id: agent.id },
        ip: ctx.ip,
        userAgent: ctx.get('User-Agent'),
        details: { wasLocked },
      });
      ctx.body = { unlocked: wasLocked };
    },
  );
}
