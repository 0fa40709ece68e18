import { chatsRepo, type ChatRow } from '../../storage/chats.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Participant } from './participants.ts';

/** An agent's change to a chat, recorded in the audit log in the same transaction (or as a failure). */
export function auditedChange(db: Store, chats: ReturnType<typeof chatsRepo>, audit?: AuditLog) {
  return async function audited(
    who: Participant,
    chat: ChatRow,
    action: 'chat.accept' | 'chat.end',
    change: (repo: ReturnType<typeof chatsRepo>, tx: Store) => Promise<boolean>,
    details: { changed: Record<string, unknown>; failure: string },
  ): Promise<boolean> {
    if (!audit || who.kind !== 'agent') return change(chats, db);
    const entry = {
      actor: { kind: 'agent' as const, id: who.agent.id, label: who.agent.email },
      action,
      target: { kind: 'chat', id: chat.id },
      departmentId: chat.department_id,
      ip: who.source?.ip,
      userAgent: who.source?.userAgent,
    };
    const done = await transaction(db, async (trx) => {
      if (!(await change(chatsRepo(trx), trx))) return false;
      await audit.record({ ...entry, outcome: 'success', details: details.changed }, trx);
      return true;
    });
    if (!done)
      await audit.record({ ...entry, outcome: 'failure', details: { reason: details.failure } });
    return done;
  };
}
