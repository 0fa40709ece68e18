import { z } from 'zod';
import { errors } from '../../../domain/errors.ts';
import { legalHolds, type HoldActor } from '../../../domain/legalHolds.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { ChatLegalHoldResponse } from '../../../shared/protocol.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { emptyQuerySchema } from '../audit/audit.schema.ts';
import { idParam } from '../agents/actor.ts';

export const legalHoldSchema = z.strictObject({
  hold: z.boolean(),
  reason: z.string().trim().min(1, 'say why (a case or ticket reference)').max(500),
});

const visitorId = z.uuid();

/**
 * Legal holds (issue 7). They need `transcripts.delete`: a hold decides whether a transcript may
 * be deleted (by data retention), so whoever may delete transcripts is who may keep them from
 * deletion — and lift that, which makes them deletable again. A grant scoped to departments covers
 * the chats of those departments; visitors belong to no department, so holding a visitor (and
 * seeing held visitors) needs the grant over everything.
 */
export function legalHoldRoutes(routes: Routes, services: Services) {
  const holds = legalHolds(services.db, services.audit);
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const actor = (ctx: ParleyContext): HoldActor => ({
    agentId: ctx.state.agent!.id,
    label: ctx.state.agent!.email,
    ip: ctx.state.clientIp ?? ctx.ip,
    userAgent: ctx.get('User-Agent'),
  });

  // Whether one chat is held (the transcript view shows it); its visitor's hold only with a grant
  // over everything, as in the list.
  routes.get(
    '/api/chats/:id/legal-hold',
    'transcripts.delete',
    validate(emptyQuerySchema),
    async (ctx) => {
      const id = idParam(ctx);
      const grants = ctx.state.grants!;
      const chat = await holds.chatDepartment(id);
      if (!chat) throw errors.notFound('chat');
      if (!grants.covers('transcripts.delete', chat)) {
        throw errors.forbidden("see the legal holds of this department's chats");
      }
      const body: ChatLegalHoldResponse | null = await holds.ofChat(
        id,
        grants.covers('transcripts.delete'),
      );
      if (!body) throw errors.notFound('chat');
      ctx.set('Cache-Control', 'no-store');
      ctx.body = body;
    },
  );

  routes.put(
    '/api/chats/:id/legal-hold',
    'transcripts.delete',
    sameOrigin,
    validate(legalHoldSchema),
    async (ctx) => {
      const id = idParam(ctx);
      const chat = await holds.chatDepartment(id);
      if (!chat) throw errors.notFound('chat');
      if (!ctx.state.grants!.covers('transcripts.delete', chat)) {
        throw errors.forbidden("place a legal hold on this department's chats");
      }
      ctx.body = await holds.set('chat', id, inputOf(ctx, legalHoldSchema), actor(ctx));
    },
  );

  routes.put(
    '/api/visitors/:id/legal-hold',
    'transcripts.delete',
    sameOrigin,
    validate(legalHoldSchema),
    async (ctx) => {
      const parsed = visitorId.safeParse(ctx.params.id);
      if (!parsed.success) throw errors.invalidInput('id: must be a visitor id (a UUID)');
      if (!ctx.state.grants!.covers('transcripts.delete')) {
        throw errors.forbidden(
          'place a legal hold on a visitor: your grant covers only some departments',
        );
      }
      ctx.body = await holds.set('visitor', parsed.data, inputOf(ctx, legalHoldSchema), actor(ctx));
    },
  );

  routes.get('/api/legal-holds', 'transcripts.delete', validate(emptyQuerySchema), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { holds: await holds.list(ctx.state.grants!.scopeOf('transcripts.delete')) };
  });
}
