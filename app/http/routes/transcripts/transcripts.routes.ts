import { errors } from '../../../domain/errors.ts';
import type { Permission } from '../../../shared/permissions.ts';
import type { Grants, ScopeFilter } from '../../../domain/permissions/policy.ts';
import {
  presentChat,
  presentMessage,
  presentTranscriptSummary,
} from '../../../domain/presenters.ts';
import { chatsRepo } from '../../../storage/chats.ts';
import { messagesRepo } from '../../../storage/messages.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { chatIdParam, transcriptListSchema } from './transcripts.schema.ts';

const READ: readonly Permission[] = ['transcripts.view_all', 'transcripts.view_department'];

/** What the agent's transcript permissions let them read, as one filter. */
function readableScope(grants: Grants): ScopeFilter {
  const scopes = READ.map((permission) => grants.scopeOf(permission));
  return {
    all: scopes.some((scope) => scope.all),
    departmentIds: [...new Set(scopes.flatMap((scope) => scope.departmentIds))],
    agentIds: [...new Set(scopes.flatMap((scope) => scope.agentIds))],
  };
}

export function transcriptRoutes(routes: Routes, services: Services) {
  const chats = chatsRepo(services.db);
  const messages = messagesRepo(services.db);

  routes.get('/api/transcripts', READ, validate(transcriptListSchema), async (ctx) => {
    const { before, limit } = inputOf(ctx, transcriptListSchema);
    const rows = await chats.transcripts({
      before: before ?? null,
      limit,
      scope: readableScope(ctx.state.grants!),
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      transcripts: rows.map(presentTranscriptSummary),
      nextBefore: rows.length === limit ? (rows.at(-1)?.id ?? null) : null,
    };
  });

  routes.get('/api/transcripts/:chatId', READ, async (ctx) => {
    const chatId = chatIdParam.safeParse(ctx.params.chatId);
    if (!chatId.success) throw errors.invalidInput('chatId: must be a positive whole number');
    const grants = ctx.state.grants!;
    const chat = await chats.byId(chatId.data);
    const resource = chat && { departmentId: chat.department_id, agentId: chat.agent_id };
    const visible =
      chat?.status === 'ended' && READ.some((permission) => grants.covers(permission, resource));
    // The same answer whether the transcript does not exist or is not this agent's to read.
    if (!visible) throw errors.notFound('transcript');
    const rows = await messages.since(chat.id, 0, 100_000);
    await services.audit.record({
      actor: { kind: 'agent', id: ctx.state.agent!.id, label: ctx.state.agent!.email },
      action: 'transcript.view',
      outcome: 'success',
      target: { kind: 'chat', id: chat.id },
      departmentId: chat.department_id,
      ip: ctx.state.clientIp,
      userAgent: ctx.get('User-Agent'),
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { chat: presentChat(chat), messages: rows.map(presentMessage) };
  });
}
