import { recordChange } from '../../../domain/accounts/actor.ts';
import { bannedListSize } from '../../../domain/passwordPolicy/bannedList.ts';
import {
  loadPasswordPolicy,
  passwordPolicySchema,
  policyChanges,
  savePasswordPolicy,
} from '../../../domain/passwordPolicy/policy.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { actorFrom } from '../agents/actor.ts';

/** The password policy (security.manage): read it, or replace it as a whole. */
export function passwordPolicyRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);

  routes.get('/api/password-policy', 'security.manage', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      policy: await loadPasswordPolicy(services.db),
      bannedListSize: await bannedListSize(),
    };
  });

  routes.put(
    '/api/password-policy',
    'security.manage',
    sameOrigin,
    validate(passwordPolicySchema),
    async (ctx) => {
      const policy = inputOf(ctx, passwordPolicySchema);
      const actor = actorFrom(ctx);
      await services.db.transaction(async (trx) => {
        const before = await loadPasswordPolicy(trx);
        await savePasswordPolicy(trx, policy, actor.agent.id);
        await recordChange(
          services,
          actor,
          {
            action: 'settings.password_policy',
            target: { kind: 'settings', id: 'password_policy' },
            details: { changes: policyChanges(before, policy) },
          },
          trx,
        );
      });
      ctx.body = { policy, bannedListSize: await bannedListSize() };
    },
  );
}
