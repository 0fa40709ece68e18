import type { Next } from 'koa';
import type { z } from 'zod';
import { errors } from '../domain/errors.ts';
import { checkPayloadShape, describeIssues } from '../domain/input.ts';

/** The JSON body limit (@koa/bodyparser's jsonLimit in app.ts). */
export const BODY_LIMIT_BYTES = 64 * 1024;
import type { ParleyContext } from './context.ts';

/** Validates the JSON body (or, for GET, the query) and gives the handler a typed `ctx.state.input`. */
export function validate<S extends z.ZodType>(schema: S) {
  return async (ctx: ParleyContext, next: Next) => {
    const source: unknown =
      ctx.method === 'GET' ? ctx.query : (ctx.request as { body?: unknown }).body;
    checkPayloadShape(source ?? null, BODY_LIMIT_BYTES);
    const result = schema.safeParse(source ?? {});
    if (!result.success) throw errors.invalidInput(describeIssues(result.error));
    ctx.state.input = result.data;
    await next();
  };
}

export const inputOf = <S extends z.ZodType>(ctx: ParleyContext, _schema: S) =>
  ctx.state.input as z.infer<S>;
