import type { Next, ParameterizedContext } from 'koa';
import type { ParleyState } from './context.ts';
import { randomUUID } from 'node:crypto';
import { errors, isParleyError } from '../domain/errors.ts';
import { describeError, type Logger } from '../log.ts';

/**
 * Gives every request an id and a child logger, turns every error into
 * `{ error: { id, message }, requestId }`, and writes one access log line.
 */
export function errorHandler(log: Logger) {
  return async (ctx: ParameterizedContext<ParleyState>, next: Next) => {
    const requestId = randomUUID();
    const started = performance.now();
    ctx.state.requestId = requestId;
    ctx.state.log = log.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw errors.notFound('page or endpoint');
    } catch (caught) {
      let error = caught;
      const status = (caught as { status?: unknown } | null)?.status;
      // Koa's own client errors (malformed JSON, body too large) carry a status but no id.
      if (!isParleyError(caught) && typeof status === 'number' && status >= 400 && status < 500) {
        error =
          status === 413
            ? errors.bodyTooLarge()
            : errors.invalidInput('The request body is not valid JSON.');
      }
      if (!isParleyError(error)) {
        ctx.state.log.error({ err: describeError(error) }, 'unhandled error');
        error = errors.internal();
      }
      const known = error as ReturnType<typeof errors.internal>;
      ctx.status = known.status;
      const details = known.details === undefined ? {} : { details: known.details };
      // A visitor limit (issue 12): the header for HTTP clients, the field for the widget (CORS).
      const retry = known.retryAfter === undefined ? {} : { retryAfter: known.retryAfter };
      if (known.retryAfter !== undefined) ctx.set('Retry-After', String(known.retryAfter));
      ctx.body = {
        error: { id: known.id, message: known.message, ...details, ...retry },
        requestId,
      };
      // A flood's refusals are counted for admins (Admin › Visitor limits), not logged one by one.
      if (known.id === 'too_many_requests') return;
    }
    ctx.state.log.info(
      {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  };
}
