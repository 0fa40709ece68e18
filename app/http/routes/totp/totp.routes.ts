import { errors } from '../../../domain/errors.ts';
import type { AgentRow } from '../../../storage/agents.ts';
import { findAgent } from '../../../domain/accounts/agents.ts';
import { allowWhileRestricted, rotateSession, sameOriginOnly } from '../../agentAuth.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { agentIdParams, confirmSchema, emptySchema, reauthSchema } from './totp.schema.ts';

export function totpRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const { totp, audit } = services;

  const entry = (ctx: ParleyContext, action: string, target: AgentRow, details?: object) => {
    const actor = ctx.state.agent!;
    return {
      actor: { kind: 'agent' as const, id: actor.id, label: actor.email },
      action,
      outcome: 'success' as const,
      target: { kind: 'agent', id: target.id },
      ip: ctx.ip,
      userAgent: ctx.get('User-Agent'),
      details: details as Record<string, unknown> | undefined,
    };
  };

  /** The password and a code again, before TOTP is turned off or codes renewed; failures count. */
  async function reauthenticate(ctx: ParleyContext, action: string) {
    const agent = ctx.state.agent!;
    const { password, code } = inputOf(ctx, reauthSchema);
    const defences = services.signin.defences;
    const standing = await defences.standing(agent.email);
    const passwordOk =
      !defences.isLocked(standing) &&
      (await services.sessions.hasher.verify(agent.password_hash, password));
    const factor = passwordOk ? await totp.verify(agent.id, code) : null;
    if (!factor) {
      await defences.failed(standing, agent.id);
      await audit.record({
        ...entry(ctx, action, agent, { reason: 'reauthentication_failed' }),
        outcome: 'failure',
      });
      throw errors.reauthenticationFailed();
    }
    if (factor === 'recovery') await audit.record(entry(ctx, 'agent.recovery_code_used', agent));
  }

  allowWhileRestricted('GET', '/api/agent/totp');
  routes.get('/api/agent/totp', 'signedIn', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const status = await totp.status(ctx.state.agent!);
    ctx.body = { ...status, enabledAt: status.enabledAt?.toISOString() ?? null };
  });

  allowWhileRestricted('POST', '/api/agent/totp/setup');
  routes.post(
    '/api/agent/totp/setup',
    'signedIn',
    sameOrigin,
    validate(emptySchema),
    async (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await totp.setup(ctx.state.agent!);
    },
  );

  allowWhileRestricted('POST', '/api/agent/totp/confirm');
  routes.post(
    '/api/agent/totp/confirm',
    'signedIn',
    sameOrigin,
    validate(confirmSchema),
    async (ctx) => {
      const agent = ctx.state.agent!;
      const { code } = inputOf(ctx, confirmSchema);
      const recoveryCodes = await totp.confirm(agent, code, (trx) =>
        audit.record(entry(ctx, 'agent.totp_enable', agent), trx),
      );
      // A second factor is a privilege change: the session gets a new id.
      await rotateSession(ctx, services);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { recoveryCodes };
    },
  );

  routes.post(
    '/api/agent/totp/disable',
    'signedIn',
    sameOrigin,
    validate(reauthSchema),
    async (ctx) => {
      const agent = ctx.state.agent!;
      if (!(await totp.enabled(agent.id))) throw errors.totpNotEnabled();
      if ((await totp.requirement(agent)).required) throw errors.totpRequiredByRole();
      await reauthenticate(ctx, 'agent.totp_disable');
      await totp.disable(agent.id, (trx) =>
        audit.record(entry(ctx, 'agent.totp_disable', agent), trx),
      );
      ctx.status = 204;
    },
  );

  routes.post(
    '/api/agent/totp/recovery-codes',
    'signedIn',
    sameOrigin,
    validate(reauthSchema),
    async (ctx) => {
      const agent = ctx.state.agent!;
      if (!(await totp.enabled(agent.id))) throw errors.totpNotEnabled();
      await reauthenticate(ctx, 'agent.recovery_codes_renew');
      const recoveryCodes = await totp.regenerateRecoveryCodes(agent.id, (trx) =>
        audit.record(entry(ctx, 'agent.recovery_codes_renew', agent), trx),
      );
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { recoveryCodes };
    },
  );

  // An agent who lost their authenticator and recovery codes: an admin turns TOTP off for them.
  routes.delete('/api/agents/:id/totp', 'security.manage', sameOrigin, async (ctx) => {
    const params = agentIdParams.safeParse(ctx.params);
    if (!params.success) throw errors.invalidInput('id: must be an agent id');
    const target = await findAgent(services.db, params.data.id);
    if (!(await totp.enabled(target.id))) throw errors.totpNotEnabled();
    await totp.disable(target.id, (trx) =>
      audit.record(entry(ctx, 'agent.totp_disable', target, { by: 'admin' }), trx),
    );
    ctx.status = 204;
  });
}
