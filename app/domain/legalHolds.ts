import type { AuditLog } from './audit/auditLog.ts';
import { errors } from './errors.ts';
import type { ScopeFilter } from './permissions/policy.ts';
import type { Db } from '../storage/db.ts';

// Legal holds (issue 7): a held chat or visitor is exempt from data retention
// (backup/dataRetention.ts) until the hold is cleared. Setting and clearing are audited.

export type HoldKind = 'chat' | 'visitor';

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

export interface LegalHoldView {
  kind: HoldKind;
  id: string;
  departmentId: number | null;
  reason: string | null;
  at: string | null;
  by: number | null;
}

const TABLE: Record<HoldKind, 'chats' | 'visitors'> = { chat: 'chats', visitor: 'visitors' };

interface HoldRow {
  id: number | string;
  department_id?: number | null;
  legal_hold_reason: string | null;
  legal_hold_at: Date | null;
  legal_hold_by: number | null;
}

function present(kind: HoldKind, row: HoldRow): LegalHoldView {
  return {
    kind,
    id: String(row.id),
    departmentId: row.department_id == null ? null : Number(row.department_id),
    reason: row.legal_hold_reason,
    at: row.legal_hold_at ? new Date(row.legal_hold_at).toISOString() : null,
    by: row.legal_hold_by == null ? null : Number(row.legal_hold_by),
  };
}

export function legalHolds(db: Db, audit: AuditLog) {
  return {
    /** The chat's department, for the permission's scope; null when there is no such chat. */
    async chatDepartment(
      id: number,
    ): Promise<{ departmentId: number | null; agentId: number | null } | null> {
      const row = await db('chats')
        .where({ id })
        .first<{ department_id: number | null; agent_id: number | null } | undefined>(
          'department_id',
          'agent_id',
        );
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
      const table = TABLE[kind];
      return db.transaction(async (trx) => {
        const current = await trx(table)
          .where({ id })
          .forUpdate()
          .first<{ id: number | string } | undefined>('id');
        if (!current) throw errors.notFound(kind);
        await trx(table)
          .where({ id })
          .update(
            change.hold
              ? {
                  legal_hold: 1,
                  legal_hold_reason: change.reason,
                  legal_hold_at: new Date(),
                  legal_hold_by: actor.agentId,
                }
              : {
                  legal_hold: 0,
                  legal_hold_reason: null,
                  legal_hold_at: null,
                  legal_hold_by: null,
                },
          );
        const row = (await trx(table)
          .where({ id })
          .first<HoldRow | undefined>(
            'id',
            ...(kind === 'chat' ? ['department_id'] : []),
            'legal_hold_reason',
            'legal_hold_at',
            'legal_hold_by',
          ))!;
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
          trx,
        );
        return present(kind, row);
      });
    },

    /** Held chats within the scope; held visitors only for a scope over everything. */
    async list(scope: ScopeFilter): Promise<LegalHoldView[]> {
      const columns = ['legal_hold_reason', 'legal_hold_at', 'legal_hold_by'];
      const chats = db('chats')
        .where('legal_hold', 1)
        .orderBy('id')
        .select<HoldRow[]>('id', 'department_id', ...columns);
      if (!scope.all) {
        void chats.where((q) => {
          void q.whereIn('department_id', scope.departmentIds);
          if (scope.agentIds.length > 0) void q.orWhereIn('agent_id', scope.agentIds);
        });
      }
      const chatRows: HoldRow[] = await chats;
      const visitorRows = scope.all
        ? await db('visitors')
            .where('legal_hold', 1)
            .orderBy('id')
            .select<HoldRow[]>('id', ...columns)
        : [];
      return [
        ...chatRows.map((row) => present('chat', row)),
        ...visitorRows.map((row) => present('visitor', row)),
      ];
    },
  };
}
