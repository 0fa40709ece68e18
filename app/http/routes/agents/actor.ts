import { z } from 'zod';
import type { Actor } from '../../../domain/accounts/actor.ts';
import { errors } from '../../../domain/errors.ts';
import type { ParleyContext } from '../../context.ts';

/** The signed-in agent making an accounts change, with their grants and where the request came from. */
export function actorFrom(ctx: ParleyContext): Actor {
  return {
    agent: ctx.state.agent!,
    grants: ctx.state.grants!,
    ip: ctx.ip,
    userAgent: ctx.get('User-Agent'),
  };
}

const positiveId = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 53 - 1);

/** A numeric path parameter, or a clear 400 naming it. */
export function idParam(ctx: ParleyContext, name = 'id'): number {
  const parsed = positiveId.safeParse(ctx.params[name]);
  if (!parsed.success) throw errors.invalidInput(`${name}: must be a positive whole number`);
  return parsed.data;
}
