import { transaction, type Store } from '../../storage/store.ts';
import { transcriptDeletionRepo } from '../../storage/transcriptDeletion.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { errors } from '../errors.ts';
import type { Reader } from './transcripts.ts';

// Deleting a transcript (issue 14, transcripts.delete, scoped by department like reading): the chat
// row, its messages, its files' rows and then their bytes go; nothing is kept but the audit entry,
// which names the chat id and counts, never the content. A chat under a legal hold (its own or its
// visitor's) or not yet ended is refused, and the refusal is audited too.

const DELETE = 'transcripts.delete';

export function transcriptDeletion(
  db: Store,
  audit: AuditLog,
  removeBlob: (storageKey: string) => Promise<void>,
) {
  return {
    async remove(who: Reader, chatId: number): Promise<{ messages: number; files: number }> {
      const entry = (departmentId: number | null) => ({
        actor: { kind: 'agent' as const, id: who.agent.id, label: who.agent.email },
        action: 'transcript.delete',
        target: { kind: 'chat', id: chatId },
        departmentId,
        ip: who.ip,
        userAgent: who.userAgent,
      });
      const refuse = async (departmentId: number | null, reason: string, error: Error) => {
        await audit.record({ ...entry(departmentId), outcome: 'failure', details: { reason } });
        return error;
      };
      const outcome = await transaction(db, async (tx) => {
        const repo = transcriptDeletionRepo(tx);
        const chat = await repo.lock(chatId);
        const resource = chat && { departmentId: chat.department_id, agentId: chat.agent_id };
        // The same answer whether there is no such chat or it is outside the grant's departments.
        if (!chat || !who.grants.covers(DELETE, resource)) return { refused: 'not_found' as const };
        if (chat.status !== 'ended') return { refused: 'not_ended' as const, chat };
        if (chat.chat_held || chat.visitor_held) return { refused: 'legal_hold' as const, chat };
        const removed = await repo.remove(chat.id);
        const counts = { messages: removed.messages, files: removed.storageKeys.length };
        await audit.record(
          { ...entry(chat.department_id), outcome: 'success', details: counts },
          tx,
        );
        return { removed, counts };
      });
      if ('refused' in outcome) {
        const departmentId = outcome.chat?.department_id ?? null;
        if (outcome.refused === 'not_found')
          throw await refuse(null, 'not_found', errors.notFound('transcript'));
        if (outcome.refused === 'not_ended')
          throw await refuse(departmentId, 'not_ended', errors.chatNotEnded());
        throw await refuse(departmentId, 'legal_hold', errors.transcriptOnHold());
      }
      // The rows (and the files' wrapped keys) are gone; the bytes follow.
      for (const key of outcome.removed.storageKeys) await removeBlob(key);
      return outcome.counts;
    },
  };
}
