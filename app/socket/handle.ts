import type { Socket } from 'socket.io';
import type { z } from 'zod';
import { errors, isParleyError, type ParleyError } from '../domain/errors.ts';
import { checkPayloadShape, describeIssues } from '../domain/input.ts';
import { describeError, type Logger } from '../log.ts';
import type { Ack } from '../shared/protocol.ts';
import type { Requirement } from '../shared/permissions.ts';

type Reply = Record<string, unknown>;

/** Every socket event Parley handles, by namespace, with what it requires. */
export const declaredEvents = new Map<string, Requirement>();

export interface HandlerOptions {
  namespace: '/visitor' | '/agent';
  log: Logger;
  /** Throws when this socket's principal does not meet the requirement (deny by default). */
  permit(requirement: Requirement): void;
  maxPayloadBytes: number;
  /** Runs before every event, e.g. to re-check that an agent's session is still valid. */
  guard?: () => Promise<void>;
}

function failure(error: ParleyError): Ack<never> {
  return { ok: false, error: { id: error.id, message: error.message } };
}

/**
 * Registers one socket event: size limit → validate → guard → run → acknowledge with one shape.
 * A bad payload gets an error ack and the connection stays usable.
 */
export function on<S extends z.ZodType, R extends Reply>(
  socket: Socket,
  event: string,
  requirement: Requirement,
  schema: S,
  options: HandlerOptions,
  run: (input: z.infer<S>) => Promise<R>,
): void {
  declaredEvents.set(`${options.namespace} ${event}`, requirement);
  socket.on(event, (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (reply: Ack<R>) => void) : () => undefined;
    const payload: unknown = typeof last === 'function' ? args.slice(0, -1)[0] : args[0];
    void (async () => {
      try {
        checkPayloadShape(payload ?? null, options.maxPayloadBytes);
        const parsed = schema.safeParse(payload ?? {});
        if (!parsed.success) throw errors.invalidInput(describeIssues(parsed.error));
        await options.guard?.();
        options.permit(requirement);
        const reply = await run(parsed.data);
        ack({ ok: true, ...reply });
      } catch (error) {
        if (isParleyError(error)) {
          ack(failure(error));
          return;
        }
        options.log.error({ event, err: describeError(error) }, 'socket handler failed');
        ack(failure(errors.internal()));
      }
    })();
  });
}

/** Any event the namespace does not know is answered, not ignored. */
export function rejectUnknownEvents(socket: Socket): void {
  socket.onAny((event: string, ...args: unknown[]) => {
    if (socket.listeners(event).length > 0) return;
    const last = args.at(-1);
    if (typeof last === 'function') {
      (last as (reply: Ack<never>) => void)(
        // Never echoes the event name: it may carry what someone typed (issue 6).
        failure(errors.invalidInput('Unknown event: this namespace does not handle it.')),
      );
    }
  });
}
