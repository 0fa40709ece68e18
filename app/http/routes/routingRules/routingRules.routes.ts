import { errors } from '../../../domain/errors.ts';
import type { RuleEditor } from '../../../domain/routing/rules.ts';
import type { Services } from '../../../services.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { ParleyContext } from '../../context.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { capacitySchema, idParam, routingRuleSchema } from './routingRules.schema.ts';

/** Admin › Routing (issue 14): department and global routing rules, agents' capacities. */
export function routingRuleRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const editor = (ctx: ParleyContext): RuleEditor => ({
    agent: ctx.state.agent!,
    grants: ctx.state.grants!,
    ip: ctx.state.clientIp,
    userAgent: ctx.get('User-Agent'),
  });
  const id = (raw: unknown) => {
    const parsed = idParam.safeParse(raw);
    if (!parsed.success) throw errors.invalidInput('the id must be a positive number');
    return parsed.data;
  };

  routes.get('/api/routing-rules', 'routing_rules.manage', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.routingRules.list(ctx.state.grants!);
  });
  routes.put(
    '/api/routing-rules/global',
    'routing_rules.manage',
    sameOrigin,
    validate(routingRuleSchema),
    async (ctx) => {
      await services.routingRules.update(editor(ctx), null, inputOf(ctx, routingRuleSchema));
      ctx.body = await services.routingRules.list(ctx.state.grants!);
    },
  );
  routes.put(
    '/api/routing-rules/departments/:departmentId',
    'routing_rules.manage',
    sameOrigin,
    validate(routingRuleSchema),
    async (ctx) => {
      const input = inputOf(ctx, routingRuleSchema);
      await services.routingRules.update(editor(ctx), id(ctx.params.departmentId), input);
      ctx.body = await services.routingRules.list(ctx.state.grants!);
    },
  );
  routes.put(
    '/api/routing-rules/agents/:agentId/capacity',
    'routing_rules.manage',
    sameOrigin,
    validate(capacitySchema),
    async (ctx) => {
      const { maxChats } = inputOf(ctx, capacitySchema);
      await services.routingRules.setCapacity(editor(ctx), id(ctx.params.agentId), maxChats);
      ctx.body = await services.routingRules.list(ctx.state.grants!);
    },
  );
}
