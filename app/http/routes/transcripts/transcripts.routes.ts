import { errors } from '../../../domain/errors.ts';
import { TRANSCRIPT_READ, transcripts } from '../../../domain/transcripts/transcripts.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { chatIdParam, transcriptListSchema } from './transcripts.schema.ts';

export function transcriptRoutes(routes: Routes, services: Services) {
  const transcript = transcripts(services.db, services.audit);

  routes.get('/api/transcripts', TRANSCRIPT_READ, validate(transcriptListSchema), async (ctx) => {
    const { before, limit } = inputOf(ctx, transcriptListSchema);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await transcript.list(
      { grants: ctx.state.grants! },
      { before: before ?? null, limit },
    );
  });

  routes.get('/api/transcripts/:chatId', TRANSCRIPT_READ, async (ctx) => {
    const chatId = chatIdParam.safeParse(ctx.params.chatId);
    if (!chatId.success) throw errors.invalidInput('chatId: must be a positive whole number');
    const read = await transcript.read(
      {
        grants: ctx.state.grants!,
        agent: ctx.state.agent!,
        ip: ctx.state.clientIp,
        userAgent: ctx.get('User-Agent'),
      },
      chatId.data,
    );
    ctx.set('Cache-Control', 'no-store');
    ctx.body = read;
  });
}
