import { maskCardNumbers } from '../../shared/cardNumbers.ts';
import type {
  CannedListResponse,
  CannedManagedResponse,
  CannedMessageInput,
  CannedMessageView,
} from '../../shared/cannedMessages.ts';
import { cannedMessagesRepo, type CannedRow } from '../../storage/cannedMessages.ts';
import { ER_DUP_ENTRY, sqlErrno } from '../../storage/sqlErrors.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { Actor } from '../accounts/actor.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { errors } from '../errors.ts';
import type { Grants } from '../permissions/policy.ts';

// Canned messages (issue 14): an agent's personal ones are theirs alone; department and global ones
// need canned_messages.manage, a department's within the grant's departments, global ones a grant
// over everything. Text is masked before it is stored or shown (issue 12).

const MANAGE = 'canned_messages.manage';

function present(row: CannedRow): CannedMessageView {
  return {
    id: Number(row.id),
    scope: row.scope,
    departmentId: row.department_id == null ? null : Number(row.department_id),
    departmentName: row.department_name ?? null,
    title: row.title,
    text: row.body,
    shortcut: row.shortcut,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

type Owned = Pick<CannedRow, 'scope' | 'agent_id' | 'department_id'>;

/** Whether these grants may write a canned message of this scope. */
export function mayManage(agentId: number, grants: Grants, row: Owned): boolean {
  if (row.scope === 'personal') return Number(row.agent_id) === agentId;
  if (row.scope === 'global') return grants.covers(MANAGE);
  const departmentId = row.department_id == null ? null : Number(row.department_id);
  return departmentId !== null && grants.covers(MANAGE, { departmentId, agentId: null });
}

const scopeKey = (row: Owned) =>
  row.scope === 'personal'
    ? `agent:${row.agent_id}`
    : row.scope === 'department'
      ? `department:${row.department_id}`
      : 'global';

const masked = (text: string) => maskCardNumbers(text).text;

export function cannedMessages(db: Store, audit: AuditLog) {
  const repo = cannedMessagesRepo(db);

  const record = (
    actor: Actor,
    action: string,
    row: Owned & { id: number; shortcut: string; title: string },
    tx: Store,
    details: Record<string, unknown> = {},
  ) =>
    audit.record(
      {
        actor: { kind: 'agent', id: actor.agent.id, label: actor.agent.email },
        action,
        outcome: 'success',
        target: { kind: 'canned_message', id: row.id },
        departmentId: row.department_id,
        ip: actor.ip,
        userAgent: actor.userAgent,
        details: { scope: row.scope, shortcut: row.shortcut, title: row.title, ...details },
      },
      tx,
    );

  const duplicate = (shortcut: string) => (error: unknown) => {
    if (sqlErrno(error) === ER_DUP_ENTRY) throw errors.shortcutTaken(shortcut);
    throw error;
  };

  /** A message this agent may change; another's personal one does not exist for them. */
  async function writable(actor: Actor, id: number): Promise<CannedRow> {
    const row = await repo.byId(id);
    if (!row || (row.scope === 'personal' && Number(row.agent_id) !== actor.agent.id))
      throw errors.notFound('canned message');
    if (!mayManage(actor.agent.id, actor.grants, row))
      throw errors.forbidden(
        `change a ${row.scope} canned message: it needs the canned_messages.manage permission over ${row.scope === 'global' ? 'every department' : 'its department'}`,
      );
    return row;
  }

  return {
    /** Mine, the global ones and my departments' ones; or, for a chat, its department's instead. */
    async forAgent(
      agentId: number,
      grants: Grants,
      chat?: { departmentId: number | null },
    ): Promise<CannedListResponse> {
      const departmentIds = chat
        ? chat.departmentId === null
          ? []
          : [chat.departmentId]
        : grants.departments;
      const rows = await repo.list({ agentId, departmentIds, global: true });
      const department =
        chat?.departmentId != null
          ? ((await repo.departmentNames([chat.departmentId]))[0] ?? null)
          : null;
      return { cannedMessages: rows.map(present), department };
    },

    /** The department and global ones these grants may manage, and where new ones may go. */
    async managed(grants: Grants): Promise<CannedManagedResponse> {
      const scope = grants.scopeOf(MANAGE);
      const rows = await repo.list({
        departmentIds: scope.departmentIds,
        allDepartments: scope.all,
        global: scope.all,
      });
      return {
        cannedMessages: rows.map(present),
        departments: await repo.departmentNames(scope.all ? 'all' : scope.departmentIds),
        global: scope.all,
      };
    },

    async create(actor: Actor, input: CannedMessageInput): Promise<CannedMessageView> {
      const owned: Owned = {
        scope: input.scope,
        agent_id: input.scope === 'personal' ? actor.agent.id : null,
        department_id: input.scope === 'department' ? (input.departmentId ?? null) : null,
      };
      if (input.scope === 'department' && owned.department_id === null)
        throw errors.invalidInput('departmentId: a department canned message names its department');
      if (!mayManage(actor.agent.id, actor.grants, owned))
        throw errors.forbidden(
          `create a ${input.scope} canned message: it needs the canned_messages.manage permission over ${input.scope === 'global' ? 'every department' : 'this department'}`,
        );
      const row = {
        ...owned,
        scope_key: scopeKey(owned),
        shortcut: input.shortcut,
        title: masked(input.title),
        body: masked(input.text),
        created_by: actor.agent.id,
      };
      const id = await transaction(db, async (tx) => {
        const created = await cannedMessagesRepo(tx).insert(row);
        await record(actor, 'canned_message.create', { ...row, id: created }, tx);
        return created;
      }).catch(duplicate(input.shortcut));
      return present((await repo.byId(id))!);
    },

    async update(
      actor: Actor,
      id: number,
      input: Partial<Pick<CannedMessageInput, 'title' | 'text' | 'shortcut'>>,
    ): Promise<CannedMessageView> {
      const row = await writable(actor, id);
      const changes = {
        ...(input.shortcut !== undefined && { shortcut: input.shortcut }),
        ...(input.title !== undefined && { title: masked(input.title) }),
        ...(input.text !== undefined && { body: masked(input.text) }),
      };
      await transaction(db, async (tx) => {
        await cannedMessagesRepo(tx).update(id, changes);
        await record(actor, 'canned_message.update', { ...row, ...changes }, tx, {
          changed: Object.keys(changes),
        });
      }).catch(duplicate(input.shortcut ?? row.shortcut));
      return present((await repo.byId(id))!);
    },

    async remove(actor: Actor, id: number): Promise<void> {
      const row = await writable(actor, id);
      await transaction(db, async (tx) => {
        await cannedMessagesRepo(tx).remove(id);
        await record(actor, 'canned_message.delete', row, tx);
      });
    },
  };
}

export type CannedMessages = ReturnType<typeof cannedMessages>;
