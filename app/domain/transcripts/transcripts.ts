import type { Permission } from '../../shared/permissions.ts';
import type { ChatView, MessageView, TranscriptSummary } from '../../shared/protocol.ts';
import { chatsRepo } from '../../storage/chats.ts';
import { messagesRepo } from '../../storage/messages.ts';
import type { ScopeFilter } from '../../storage/scope.ts';
import type { Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { errors } from '../errors.ts';
import type { Grants } from '../permissions/policy.ts';
import { presentChat, presentMessage, presentTranscriptSummary } from '../presenters.ts';

// Transcripts: ended chats an agent's transcript permissions let them read (their departments',
// or all), listed newest first; reading one is audited.

/** Either permission lets an agent read transcripts, each within its own scope. */
export const TRANSCRIPT_READ: readonly Permission[] = [
  'transcripts.view_all',
  'transcripts.view_department',
];

/** What the agent's transcript permissions let them read, as one filter. */
function readableScope(grants: Grants): ScopeFilter {
  const scopes = TRANSCRIPT_READ.map((permission) => grants.scopeOf(permission));
  return {
    all: scopes.some((scope) => scope.all),
    departmentIds: [...new Set(scopes.flatMap((scope) => scope.departmentIds))],
    agentIds: [...new Set(scopes.flatMap((scope) => scope.agentIds))],
  };
}

export interface Reader {
  grants: Grants;
  agent: { id: number; email: string };
  ip: string;
  userAgent: string;
}

export function transcripts(store: Store, audit: AuditLog) {
  const chats = chatsRepo(store);
  const messages = messagesRepo(store);
  return {
    async list(
      reader: Pick<Reader, 'grants'>,
      page: { before: number | null; limit: number },
    ): Promise<{ transcripts: TranscriptSummary[]; nextBefore: number | null }> {
      const rows = await chats.transcripts({ ...page, scope: readableScope(reader.grants) });
      return {
        transcripts: rows.map(presentTranscriptSummary),
        nextBefore: rows.length === page.limit ? (rows.at(-1)?.id ?? null) : null,
      };
    },

    /** One transcript, audited; the same answer whether it does not exist or is not theirs. */
    async read(
      reader: Reader,
      chatId: number,
    ): Promise<{ chat: ChatView; messages: MessageView[] }> {
      const chat = await chats.byId(chatId);
      const resource = chat && { departmentId: chat.department_id, agentId: chat.agent_id };
      const visible =
        chat?.status === 'ended' &&
        TRANSCRIPT_READ.some((permission) => reader.grants.covers(permission, resource));
      if (!visible) throw errors.notFound('transcript');
      const rows = await messages.since(chat.id, 0, 100_000, 'agent');
      await audit.record({
        actor: { kind: 'agent', id: reader.agent.id, label: reader.agent.email },
        action: 'transcript.view',
        outcome: 'success',
        target: { kind: 'chat', id: chat.id },
        departmentId: chat.department_id,
        ip: reader.ip,
        userAgent: reader.userAgent,
      });
      return { chat: presentChat(chat), messages: rows.map(presentMessage) };
    },
  };
}
