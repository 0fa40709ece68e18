import { cannedMessages } from '../../../domain/cannedMessages/cannedMessages.ts';
import { loadGrants } from '../../../domain/permissions/policy.ts';
import type { Services } from '../../../services.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { ParleyContext } from '../../context.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { emptyQuerySchema } from '../audit/audit.schema.ts';
import { idParam } from '../agents/actor.ts';
import {
  cannedListSchema,
  createCannedSchema,
  updateCannedSchema,
} from './cannedMessages.schema.ts';

/**
 * Canned messages (issue 14). Any signed-in agent keeps personal ones; department and global ones
 * need canned_messages.manage, checked in the domain against the message's scope (so the routes are
 * `signedIn`, except the manager's list).
 */
export function cannedMessageRoutes(routes: Routes, services: Services) {
  const canned = cannedMessages(services.db, services.audit);
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const actor = async (ctx: ParleyContext) => ({
    agent: ctx.state.agent!,
    grants: ctx.state.grants ?? (await loadGrants(services.db, ctx.state.agent!)),
    ip: ctx.state.clientIp,
    userAgent: ctx.get('User-Agent'),
  });

  // What applies to me; with ?chatId, to that chat (its department's instead of mine), if I may see it.
  routes.get('/api/canned-messages', 'signedIn', validate(cannedListSchema), async (ctx) => {
    const { chatId } = inputOf(ctx, cannedListSchema);
    const who = await actor(ctx);
    const chat =
      chatId === undefined
        ? undefined
        : await services.chats.authorize({ kind: 'agent', ...who }, chatId);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await canned.forAgent(
      who.agent.id,
      who.grants,
      chat && { departmentId: chat.department_id },
    );
  });

  routes.get(
    '/api/canned-messages/managed',
    'canned_messages.manage',
    validate(emptyQuerySchema),
    async (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await canned.managed(ctx.state.grants!);
    },
  );

  routes.post(
    '/api/canned-messages',
    'signedIn',
    sameOrigin,
    validate(createCannedSchema),
    async (ctx) => {
      ctx.status = 201;
      ctx.body = {
        cannedMessage: await canned.create(await actor(ctx), inputOf(ctx, createCannedSchema)),
      };
    },
  );

  routes.patch(
    '/api/canned-messages/:id',
    'signedIn',
    sameOrigin,
    validate(updateCannedSchema),
    async (ctx) => {
      const id = idParam(ctx);
      ctx.body = {
        cannedMessage: await canned.update(await actor(ctx), id, inputOf(ctx, updateCannedSchema)),
      };
    },
  );

  routes.delete('/api/canned-messages/:id', 'signedIn', sameOrigin, async (ctx) => {
    await canned.remove(await actor(ctx), idParam(ctx));
    ctx.status = 204;
  });
}
