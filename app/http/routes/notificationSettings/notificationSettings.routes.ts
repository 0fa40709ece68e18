import { z } from 'zod';
import { notificationSettings } from '../../../domain/notifications/notificationSettings.ts';
import type { Services } from '../../../services.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { emptyQuerySchema } from '../audit/audit.schema.ts';

const choice = z.strictObject({ sound: z.boolean(), desktop: z.boolean() });
export const notificationSettingsSchema = z.strictObject({
  offer: choice,
  queue: choice,
  message: choice,
});

/** The signed-in agent's own notification settings (issue 14); there is no way to name another's. */
export function notificationSettingsRoutes(routes: Routes, services: Services) {
  const settings = notificationSettings(services.db, services.audit);
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const path = '/api/agent/notification-settings';

  routes.get(path, 'signedIn', validate(emptyQuerySchema), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { settings: await settings.of(ctx.state.agent!.id) };
  });

  routes.put(path, 'signedIn', sameOrigin, validate(notificationSettingsSchema), async (ctx) => {
    const saved = await settings.save(
      { agent: ctx.state.agent!, ip: ctx.state.clientIp, userAgent: ctx.get('User-Agent') },
      inputOf(ctx, notificationSettingsSchema),
    );
    ctx.body = { settings: saved };
  });
}
