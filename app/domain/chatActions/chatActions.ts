import type { MessageWriter } from '../../storage/messageWriter.ts';
import type { Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { ChatService } from '../chats/chats.ts';
import type { ChatEvents } from '../chats/participants.ts';
import { actionAudit } from './actionAudit.ts';
import { inviteRules } from './invite.ts';
import { chatLines } from './lines.ts';
import { participationRules } from './participation.ts';
import { transferRules } from './transfer.ts';

// The chat actions of issue 14, each declaring its permission (app/socket/chatActions.ts) and each
// audited: transfer, join/leave, monitor/unmonitor, whisper. They write through the same message
// writer as chat messages, so durability, order and dedup hold for notes and whispers too.

export function chatActions(deps: {
  db: Store;
  chats: ChatService;
  events: ChatEvents;
  writer: MessageWriter;
  audit: AuditLog;
  /** Re-routes waiting chats (a chat transferred to a department is offered at once). */
  route?: () => Promise<void>;
}) {
  const audited = actionAudit(deps.db, deps.audit);
  const lines = chatLines(deps.db, deps.chats, deps.writer, deps.events, deps.route);
  return {
    ...transferRules(deps.db, audited, lines),
    ...participationRules(deps.db, deps.chats, audited, lines),
    ...inviteRules(deps.db, audited, lines),
  };
}

export type ChatActions = ReturnType<typeof chatActions>;
