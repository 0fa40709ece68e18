import type { Knex } from 'knex';
import type { LegalHoldKind, LegalHoldView } from '../shared/protocol.ts';
import type { AuditLog } from './audit/auditLog.ts';
import { errors } from './errors.ts';
import type { ScopeFilter } from './permissions/policy.ts';
import type { Db } from '../storage/db.ts';

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

const TABLE: Record<HoldKind, 'chats' | 'visitors'> = { chat: 'chats', visitor: 'visitors' };

interface HoldRow {
  id: number | string;
  department_id?: number | null;
  visitor_name: string | null;
  legal_hold_reason: string | null;
  legal_hold_at: Date | null;
  legal_hold_by: number | null;
}

const COLUMNS = ['legal_hold_reason', 'legal_hold_at', 'legal_hold_by'] as const;
const SELECT: Record<HoldKind, string[]> = {
  chat: ['id', 'department_id', 'visitor_name', ...COLUMNS],
  visitor: ['id', 'name as visitor_name', ...COLUMNS],
};

/** The names of the agents who placed the holds, in one query. */
async function agentNames(
  db: Db | Knex.Transaction,
  rows: HoldRow[],
): Promise<Map<number, string>> {
  const ids = [
    ...new Set(
      rows.flatMap((row) => (row.legal_hold_by == null ? [] : [Number(row.legal_hold_by)])),
    ),
  ];
  if (ids.length === 0) return new Map();
  const agents = await db('agents')
    .whereIn('id', ids)
    .select<{ id: number; name: string }[]>('id', 'name');
  return new Map(agents.map((agent) => [Number(agent.id), agent.name]));
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
          .first<HoldRow | undefined>(...SELECT[kind]))!;
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
        return present(kind, row, await agentNames(trx, [row]));
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
      const chat = await db('chats')
        .where({ id })
        .first<(HoldRow & { legal_hold: number; visitor_id: string }) | undefined>(
          'legal_hold',
          'visitor_id',
          ...SELECT.chat,
        );
      if (!chat) return null;
      const visitor = withVisitor
        ? await db('visitors')
            .where({ id: chat.visitor_id, legal_hold: 1 })
            .first<HoldRow | undefined>(...SELECT.visitor)
        : undefined;
      const names = await agentNames(db, visitor ? [chat, visitor] : [chat]);
      return {
        hold: Number(chat.legal_hold) === 1 ? present('chat', chat, names) : null,
        visitorHold: visitor ? present('visitor', visitor, names) : null,
      };
    },

    /** Held chats within the scope; held visitors only for a scope over everything. */
    async list(scope: ScopeFilter): Promise<LegalHoldView[]> {
      const chats = db('chats')
        .where('legal_hold', 1)
        .orderBy('id')
        .select<HoldRow[]>(...SELECT.chat);
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
            .select<HoldRow[]>(...SELECT.visitor)
        : [];
      const names = await agentNames(db, [...chatRows, ...visitorRows]);
      return [
        ...chatRows.map((row) => present('chat', row, names)),
        ...visitorRows.map((row) => present('visitor', row, names)),
      ];
    },
  };
}
