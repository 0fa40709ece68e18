import type { ChatRow } from '../../storage/chats.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Participant } from '../chats/participants.ts';
import { isParleyError } from '../errors.ts';

/** Refusals already in the log, so a refusal passed up through two handlers is recorded once. */
const recorded = new WeakSet<object>();

export type Agent = Participant & { kind: 'agent' };
export type ChatAction =
  | 'chat.transfer'
  | 'chat.join'
  | 'chat.leave'
  | 'chat.monitor'
  | 'chat.unmonitor'
  | 'chat.whisper'
  | 'chat.invite';

/**
 * Every chat action in the audit log: the change and its entry in one transaction, and a refusal
 * (its error id) as `denied` (no permission) or `failure` (not possible now).
 */
export function actionAudit(db: Store, audit: AuditLog) {
  const entry = (who: Agent, chat: Pick<ChatRow, 'id' | 'department_id'>, action: ChatAction) => ({
    actor: { kind: 'agent' as const, id: who.agent.id, label: who.agent.email },
    action,
    target: { kind: 'chat', id: chat.id },
    departmentId: chat.department_id,
    ip: who.source?.ip,
    userAgent: who.source?.userAgent,
  });

  return {
    /** Runs the change in a transaction with its audit entry; a refusal is recorded, then thrown. */
    async change<T>(
      who: Agent,
      chat: Pick<ChatRow, 'id' | 'department_id'>,
      action: ChatAction,
      run: (tx: Store) => Promise<{ result: T; details: Record<string, unknown> }>,
    ): Promise<T> {
      try {
        return await transaction(db, async (tx) => {
          const { result, details } = await run(tx);
          await audit.record({ ...entry(who, chat, action), outcome: 'success', details }, tx);
          return result;
        });
      } catch (error) {
        await this.refused(who, chat, action, error);
        throw error;
      }
    },
    /** Records a refused action (nothing changed). */
    async refused(
      who: Agent,
      chat: Pick<ChatRow, 'id' | 'department_id'>,
      action: ChatAction,
      error: unknown,
    ): Promise<void> {
      if (!isParleyError(error) || recorded.has(error)) return;
      recorded.add(error);
      const outcome = error.status === 403 || error.status === 404 ? 'denied' : 'failure';
      await audit.record({ ...entry(who, chat, action), outcome, details: { reason: error.id } });
    },
    /** Records a done action whose change committed on its own (a whisper, by the message writer). */
    async done(
      who: Agent,
      chat: Pick<ChatRow, 'id' | 'department_id'>,
      action: ChatAction,
      details: Record<string, unknown>,
    ): Promise<void> {
      await audit.record({ ...entry(who, chat, action), outcome: 'success', details });
    },
  };
}

export type ActionAudit = ReturnType<typeof actionAudit>;
