import { changeOwnPassword } from '../../../domain/accounts/agentPasswords.ts';
import { loadPasswordPolicy } from '../../../domain/passwordPolicy/policy.ts';
import { passwordStatus } from '../../../domain/passwordPolicy/status.ts';
import { rotateSession, sameOriginOnly } from '../../agentAuth.ts';
import type { Services } from '../../context.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { changePasswordSchema } from './password.schema.ts';

/** The signed-in agent's own password: whether it must change, and changing it. */
export function passwordRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);

  routes.get('/api/agent/password', 'signedIn', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      status: await passwordStatus(services.db, ctx.state.agent!),
      policy: await loadPasswordPolicy(services.db),
    };
  });

  routes.post(
    '/api/agent/password',
    'signedIn',
    sameOrigin,
    validate(changePasswordSchema),
    async (ctx) => {
      const { currentPassword, newPassword } = inputOf(ctx, changePasswordSchema);
      await changeOwnPassword(
        services,
        {
          agent: ctx.state.agent!,
          ip: ctx.ip,
          userAgent: ctx.get('User-Agent'),
          sessionHash: ctx.state.sessionHash!,
        },
        currentPassword,
        newPassword,
      );
      // A privilege change: the session gets a new id (its sockets reconnect on it).
      await rotateSession(ctx, services);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
    },
  );
}
