import { z } from 'zod';
import { cardMasking } from '../../../domain/masking/policy.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { idParam } from '../agents/actor.ts';

export const cardMaskingSchema = z.strictObject({
  mask: z.boolean(),
  keep: z.enum(['first6_last4', 'last4']),
});

/** Card masking per department (issue 6): on by default; switching it off or to last-four is audited. */
export function cardMaskingRoutes(routes: Routes, services: Services) {
  const masking = cardMasking(services.db);
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);

  routes.get('/api/card-masking', 'security.manage', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { departments: await masking.perDepartment() };
  });

  routes.put(
    '/api/departments/:id/card-masking',
    'security.manage',
    sameOrigin,
    validate(cardMaskingSchema),
    async (ctx) => {
      const id = idParam(ctx);
      const agent = ctx.state.agent!;
      const options = await masking.set(
        id,
        inputOf(ctx, cardMaskingSchema),
        {
          agentId: agent.id,
          label: agent.email,
          ip: ctx.state.clientIp,
          userAgent: ctx.get('User-Agent'),
        },
        services.audit,
      );
      ctx.body = { departmentId: id, ...options };
    },
  );
}
