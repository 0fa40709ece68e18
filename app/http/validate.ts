import type { Next } from 'koa';
import type { z } from 'zod';
import { errors } from '../domain/errors.ts';
import { checkPayloadShape } from '../domain/payloadShape.ts';

/** The JSON body limit (@koa/bodyparser's jsonLimit in app.ts). */
export const BODY_LIMIT_BYTES = 64 * 1024;
import type { ParleyContext } from './context.ts';

/** One line per problem, naming the field: what a person needs to fix the request. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

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
