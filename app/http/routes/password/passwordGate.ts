import type { Next } from 'koa';
import { errors } from '../../../domain/errors.ts';
import { passwordStatus } from '../../../domain/passwordPolicy/status.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';

/**
 * Until an agent changes a password an admin set (or one that expired), their session may only read
 * or end itself and change the password: every route that needs a permission answers
 * `password_change_required`. Runs after `requireAgent`.
 */
export function requireCurrentPassword(services: Services) {
  return async (ctx: ParleyContext, next: Next) => {
    if ((await passwordStatus(services.db, ctx.state.agent!)) !== 'ok') {
      throw errors.passwordChangeRequired();
    }
    await next();
  };
}
