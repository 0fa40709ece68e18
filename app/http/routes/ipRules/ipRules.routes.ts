import { errors } from '../../../domain/errors.ts';
import type { Editor } from '../../../domain/ipRules/ipRules.ts';
import { presentIpRule } from '../../../domain/ipRules/presenter.ts';
import type { IpRulesListResponse } from '../../../shared/ipRules.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { describeIssues } from '../../../domain/input.ts';
import { inputOf, validate } from '../../validate.ts';
import { addIpRuleSchema, ipRuleIdParam, removeIpRuleQuery } from './ipRules.schema.ts';

/** Admin › IP restrictions: the allow-lists for agent access (see domain/ipRules/policy.ts). */
export function ipRuleRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const editor = (ctx: ParleyContext, confirmLockout: boolean): Editor => ({
    agent: ctx.state.agent!,
    ip: ctx.state.clientIp,
    userAgent: ctx.get('User-Agent'),
    confirmLockout,
  });

  routes.get('/api/ip-rules', 'security.manage', async (ctx) => {
    const [rows, choices] = await Promise.all([
      services.ipRules.list(),
      services.ipRules.choices(),
    ]);
    const body: IpRulesListResponse = {
      rules: rows.map(presentIpRule),
      yourAddress: ctx.state.clientIp,
      ...choices,
    };
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  });

  routes.post(
    '/api/ip-rules',
    'security.manage',
    sameOrigin,
    validate(addIpRuleSchema),
    async (ctx) => {
      const input = inputOf(ctx, addIpRuleSchema);
      const id = await services.ipRules.add(
        {
          scope: input.scope,
          role: input.scope === 'role' ? input.role : null,
          agentId: input.scope === 'agent' ? input.agentId : null,
          cidr: input.cidr,
          note: input.note,
        },
        editor(ctx, input.confirmLockout),
      );
      const row = (await services.ipRules.list()).find((rule) => rule.id === id);
      if (!row) throw errors.notFound('IP rule');
      ctx.status = 201;
      ctx.body = { rule: presentIpRule(row) };
    },
  );

  routes.delete('/api/ip-rules/:id', 'security.manage', sameOrigin, async (ctx) => {
    const id = ipRuleIdParam.safeParse(ctx.params.id);
    if (!id.success) throw errors.invalidInput('id: must be a positive whole number');
    const query = removeIpRuleQuery.safeParse(ctx.query);
    if (!query.success) throw errors.invalidInput(describeIssues(query.error));
    await services.ipRules.remove(id.data, editor(ctx, query.data.confirmLockout));
    ctx.status = 204;
  });
}
