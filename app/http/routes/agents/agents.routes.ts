import {
  createAgent,
  listAgents,
  updateAgent,
  viewAgent,
} from '../../../domain/accounts/agents.ts';
import { resetAgentPassword } from '../../../domain/accounts/agentPasswords.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { actorFrom, idParam } from './actor.ts';
import { createAgentSchema, resetPasswordSchema, updateAgentSchema } from './agents.schema.ts';

/** Agents, managed by admins (agents.manage); there is no self-sign-up. */
export function agentRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);

  routes.get('/api/agents', 'agents.manage', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { agents: await listAgents(services.db) };
  });

  routes.get('/api/agents/:id', 'agents.manage', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { agent: await viewAgent(services.db, idParam(ctx)) };
  });

  routes.post(
    '/api/agents',
    'agents.manage',
    sameOrigin,
    validate(createAgentSchema),
    async (ctx) => {
      const created = await createAgent(services, actorFrom(ctx), inputOf(ctx, createAgentSchema));
      ctx.set('Cache-Control', 'no-store');
      ctx.status = 201;
      ctx.body = created;
    },
  );

  routes.patch(
    '/api/agents/:id',
    'agents.manage',
    sameOrigin,
    validate(updateAgentSchema),
    async (ctx) => {
      const id = idParam(ctx);
      ctx.body = {
        agent: await updateAgent(services, actorFrom(ctx), id, inputOf(ctx, updateAgentSchema)),
      };
    },
  );

  // Deactivation ends the agent's sessions and disconnects their sockets; PATCH active:true undoes it.
  routes.post('/api/agents/:id/deactivate', 'agents.manage', sameOrigin, async (ctx) => {
    const id = idParam(ctx);
    ctx.body = { agent: await updateAgent(services, actorFrom(ctx), id, { active: false }) };
  });

  routes.post(
    '/api/agents/:id/password-reset',
    'agents.manage',
    sameOrigin,
    validate(resetPasswordSchema),
    async (ctx) => {
      const id = idParam(ctx);
      const { password } = inputOf(ctx, resetPasswordSchema);
      const generatedPassword = await resetAgentPassword(services, actorFrom(ctx), id, password);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { agent: await viewAgent(services.db, id), generatedPassword };
    },
  );
}
