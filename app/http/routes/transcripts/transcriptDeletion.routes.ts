import { errors } from '../../../domain/errors.ts';
import { transcriptDeletion } from '../../../domain/transcripts/transcriptDeletion.ts';
import type { Services } from '../../../services.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { Routes } from '../../route.ts';
import { chatIdParam } from './transcripts.schema.ts';

/** DELETE /api/transcripts/:chatId (transcripts.delete, within the grant's departments). */
export function transcriptDeletionRoutes(routes: Routes, services: Services) {
  const store = services.files.store;
  const deletion = transcriptDeletion(services.db, services.audit, (key) =>
    store ? store.remove(key) : Promise.resolve(),
  );
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);

  routes.delete('/api/transcripts/:chatId', 'transcripts.delete', sameOrigin, async (ctx) => {
    const chatId = chatIdParam.safeParse(ctx.params.chatId);
    if (!chatId.success) throw errors.invalidInput('chatId: must be a positive whole number');
    ctx.body = {
      deleted: await deletion.remove(
        {
          grants: ctx.state.grants!,
          agent: ctx.state.agent!,
          ip: ctx.state.clientIp,
          userAgent: ctx.get('User-Agent'),
        },
        chatId.data,
      ),
    };
  });
}
