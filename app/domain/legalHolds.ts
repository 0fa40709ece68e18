import type { LegalHoldKind, LegalHoldView } from '../shared/protocol.ts';
import { legalHoldsRepo, type HoldRow } from '../storage/legalHolds.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { transaction, type Store } from '../storage/store.ts';
import type { AuditLog } from './audit/auditLog.ts';
import { errors } from './errors.ts';

// Legal holds (issue 7): a held chat or visitor is exempt from data retention
// (backup/dataRetention.ts) until the hold is cleared. Setting and clearing are audited.

export type HoldKind = LegalHoldKind;
export type { LegalHoldView };

export interface HoldChange {
  hold: boolean;
  reason: string;
}

export interface HoldActor {
  agentId: number;
  label: string;
  ip: string;
  userAgent: string;
}

function present(kind: HoldKind, row: HoldRow, names: Map<number, string>): LegalHoldView {
  const by = row.legal_hold_by == null ? null : Number(row.legal_hold_by);
  return {
    kind,
    id: String(row.id),
    departmentId: row.department_id == null ? null : Number(row.department_id),
    visitorName: row.visitor_name,
    reason: row.legal_hold_reason,
    at: row.legal_hold_at ? new Date(row.legal_hold_at).toISOString() : null,
    by,
    byName: by == null ? null : (names.get(by) ?? null),
  };
}

export function legalHolds(db: Store, audit: AuditLog) {
  const holds = legalHoldsRepo(db);
  return {
    /** The chat's department, for the permission's scope; null when there is no such chat. */
    async chatDepartment(
      id: number,
    ): Promise<{ departmentId: number | null; agentId: number | null } | null> {
      const row = await holds.chatOwner(id);
      if (!row) return null;
      return {
        departmentId: row.department_id == null ? null : Number(row.department_id),
        agentId: row.agent_id == null ? null : Number(row.agent_id),
      };
    },

    /** Sets or clears the hold and records it, in one transaction. */
    async set(
      kind: HoldKind,
      id: number | string,
      change: HoldChange,
      actor: HoldActor,
    ): Promise<LegalHoldView> {
      return transaction(db, async (tx) => {
        const repo = legalHoldsRepo(tx);
        if (!(await repo.lock(kind, id))) throw errors.notFound(kind);
        const row = await repo.set(
          kind,
          id,
          change.hold ? { reason: change.reason, by: actor.agentId } : null,
        );
        await audit.record(
          {
            actor: { kind: 'agent', id: actor.agentId, label: actor.label },
            ip: actor.ip,
            userAgent: actor.userAgent,
            action: change.hold ? 'legal_hold.set' : 'legal_hold.clear',
            outcome: 'success',
            target: { kind, id },
            departmentId: row.department_id ?? null,
            details: { reason: change.reason },
          },
          tx,
        );
        return present(kind, row, await repo.agentNames([row]));
      });
    },

    /**
     * The hold on a chat and, when asked, the hold on its visitor (which keeps the chat too);
     * null when there is no such chat.
     */
    async ofChat(
      id: number,
      withVisitor: boolean,
    ): Promise<{ hold: LegalHoldView | null; visitorHold: LegalHoldView | null } | null> {
      const chat = await holds.chat(id);
      if (!chat) return null;
      const visitor = withVisitor ? await holds.heldVisitor(chat.visitor_id) : undefined;
      const names = await holds.agentNames(visitor ? [chat, visitor] : [chat]);
      return {
        hold: Number(chat.legal_hold) === 1 ? present('chat', chat, names) : null,
        visitorHold: visitor ? present('visitor', visitor, names) : null,
      };
    },

    /** Held chats within the scope; held visitors only for a scope over everything. */
    async list(scope: ScopeFilter): Promise<LegalHoldView[]> {
      const chatRows = await holds.heldChats(scope);
      const visitorRows = scope.all ? await holds.heldVisitors() : [];
      const names = await holds.agentNames([...chatRows, ...visitorRows]);
      return [
        ...chatRows.map((row) => present('chat', row, names)),
        ...visitorRows.map((row) => present('visitor', row, names)),
      ];
    },
  };
}
