import { errors } from '../../../domain/errors.ts';
import {
  presentChat,
  presentMessage,
  presentTranscriptSummary,
} from '../../../domain/presenters.ts';
import { chatsRepo } from '../../../storage/chats.ts';
import { messagesRepo } from '../../../storage/messages.ts';
import { requireAgent } from '../../agentAuth.ts';
import type { ParleyRouter, Services } from '../../context.ts';
import { inputOf, validate } from '../../validate.ts';
import { chatIdParam, transcriptListSchema } from './transcripts.schema.ts';

// Until the permissions issue lands: admins read every transcript, agents the chats they handled.
export function transcriptRoutes(router: ParleyRouter, services: Services) {
  const chats = chatsRepo(services.db);
  const messages = messagesRepo(services.db);

  router.get(
    '/api/transcripts',
    requireAgent(services),
    validate(transcriptListSchema),
    async (ctx) => {
      const { before, limit } = inputOf(ctx, transcriptListSchema);
      const agent = ctx.state.agent!;
      const rows = await chats.transcripts({
        before: before ?? null,
        limit,
        agentId: agent.role === 'admin' ? null : agent.id,
      });
      ctx.set('Cache-Control', 'no-store');
      ctx.body = {
        transcripts: rows.map(presentTranscriptSummary),
        nextBefore: rows.length === limit ? (rows.at(-1)?.id ?? null) : null,
      };
    },
  );

  router.get('/api/transcripts/:chatId', requireAgent(services), async (ctx) => {
    const chatId = chatIdParam.safeParse(ctx.params.chatId);
    if (!chatId.success) throw errors.invalidInput('chatId: must be a positive whole number');
    const agent = ctx.state.agent!;
    const chat = await chats.byId(chatId.data);
    const visible =
      chat && chat.status === 'ended' && (agent.role === 'admin' || chat.agent_id === agent.id);
    if (!visible) throw errors.notFound('transcript');
    const rows = await messages.since(chat.id, 0, 100_000);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { chat: presentChat(chat), messages: rows.map(presentMessage) };
  });
}
