import { changeOwnPassword } from '../../../domain/accounts/agentPasswords.ts';
import { isParleyError } from '../../../domain/errors.ts';
import { loadPasswordPolicy } from '../../../domain/passwordPolicy/policy.ts';
import { passwordStatus } from '../../../domain/passwordPolicy/status.ts';
import { rotateSession, sameOriginOnly } from '../../agentAuth.ts';
import type { Services } from '../../../services.ts';
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
      const agent = ctx.state.agent!;
      const { defences } = services.signin;
      // A wrong current password counts like a wrong sign-in for this account: someone guessing it
      // from an unattended session gets the same lock, and the lock ends every session it has.
      const client = { ip: ctx.ip, userAgent: ctx.get('User-Agent') };
      await defences.exclusive(agent.email, async () => {
        const standing = await defences.standing(agent.email);
        try {
          await changeOwnPassword(
            services,
            { agent, ...client, sessionHash: ctx.state.sessionHash! },
            currentPassword,
            newPassword,
          );
        } catch (error) {
          if (!isParleyError(error) || error.id !== 'current_password_incorrect') throw error;
          if (
            await services.signin.wrongPasswordElsewhere(standing, agent, client, 'password_change')
          ) {
            await services.sessions.signOutAgent(agent.id);
            services.disconnectAgent(agent.id, 'locked', true);
          }
          throw error;
        }
        await defences.succeeded(standing);
      });
      // A privilege change: the session gets a new id (its sockets reconnect on it).
      await rotateSession(ctx, services);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
    },
  );
}
