import { z } from 'zod';
import { transaction, type Store } from '../../storage/store.ts';
import { chatsRepo } from '../../storage/chats.ts';
import { departmentsRepo } from '../../storage/departments.ts';
import { errors } from '../errors.ts';
import { settingsRepo } from '../../storage/settings.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import {
  DEFAULT_MASKING,
  maskCardNumbers,
  type MaskOptions,
  type MaskResult,
} from '../../shared/cardNumbers.ts';

/** The settings key: per department, whether card numbers are masked and what stays visible. */
export const MASKING_SETTING = 'card_masking';
const REFRESH_MS = 5_000;

const stored = z.object({
  departments: z.record(
    z.string(),
    z.object({ mask: z.boolean(), keep: z.enum(['first6_last4', 'last4']) }),
  ),
});

interface Cache {
  loadedAt: number;
  byDepartment: Map<number, MaskOptions>;
  /** The department of each chat looked up since the last refresh. */
  chatDepartments: Map<number, number | null>;
}

// One cache per database handle, so every service built on the same database sees a change at once.
const caches = new WeakMap<Store, Cache>();

export interface MaskingActor {
  agentId: number;
  label: string;
  ip?: string;
  userAgent?: string;
}

/**
 * Card masking as configured: on by default everywhere; an admin may switch it off, or keep the last
 * four digits only, per department. Masking runs before anything is stored, broadcast or logged.
 */
export function cardMasking(db: Store) {
  const settings = settingsRepo(db);

  async function current(): Promise<Cache> {
    const cache = caches.get(db);
    if (cache && Date.now() - cache.loadedAt < REFRESH_MS) return cache;
    const parsed = stored.safeParse((await settings.get(MASKING_SETTING)) ?? { departments: {} });
    const byDepartment = new Map<number, MaskOptions>(
      parsed.success
        ? Object.entries(parsed.data.departments).map(([id, value]) => [Number(id), value])
        : [],
    );
    const fresh = {
      loadedAt: Date.now(),
      byDepartment,
      chatDepartments: new Map(), // re-read too: a transfer may move a chat
    };
    caches.set(db, fresh);
    return fresh;
  }

  async function forDepartment(departmentId: number | null): Promise<MaskOptions> {
    if (departmentId === null) return DEFAULT_MASKING;
    return (await current()).byDepartment.get(departmentId) ?? DEFAULT_MASKING;
  }

  /** The options for a chat; no query at all while every department keeps the default. */
  async function forChat(chatId: number): Promise<MaskOptions> {
    const cache = await current();
    if (cache.byDepartment.size === 0) return DEFAULT_MASKING;
    if (!cache.chatDepartments.has(chatId)) {
      const departmentId = await chatsRepo(db).departmentOf(chatId);
      if (cache.chatDepartments.size > 10_000) cache.chatDepartments.clear();
      cache.chatDepartments.set(chatId, departmentId);
    }
    return forDepartment(cache.chatDepartments.get(chatId) ?? null);
  }

  return {
    forDepartment,
    forChat,
    /** Masks a text typed in a chat (message, pre-chat field) before it goes anywhere. */
    async inChat(chatId: number, text: string): Promise<MaskResult> {
      return maskCardNumbers(text, await forChat(chatId));
    },
    /** Masks a text with a department's options, e.g. a file name (issue 5) or an offline message. */
    async inDepartment(departmentId: number | null, text: string): Promise<MaskResult> {
      return maskCardNumbers(text, await forDepartment(departmentId));
    },
    /** Every department's options that differ from the default. */
    async overrides(): Promise<Map<number, MaskOptions>> {
      return new Map((await current()).byDepartment);
    },
    /** Every department with its options (the default where none was set). */
    async perDepartment(): Promise<({ departmentId: number; name: string } & MaskOptions)[]> {
      const overrides = (await current()).byDepartment;
      return (await departmentsRepo(db).list()).map((d) => ({
        departmentId: d.id,
        name: d.name,
        ...(overrides.get(d.id) ?? DEFAULT_MASKING),
      }));
    },
    /** Changes one department's options, audited in the same transaction. */
    async set(
      departmentId: number,
      options: MaskOptions,
      actor: MaskingActor,
      audit: AuditLog,
    ): Promise<MaskOptions> {
      if (!(await departmentsRepo(db).byId(departmentId))) throw errors.notFound('department');
      await transaction(db, async (trx) => {
        const repo = settingsRepo(trx);
        const parsed = stored.safeParse((await repo.get(MASKING_SETTING)) ?? { departments: {} });
        const departments = parsed.success ? { ...parsed.data.departments } : {};
        const before = departments[String(departmentId)] ?? DEFAULT_MASKING;
        if (options.mask === DEFAULT_MASKING.mask && options.keep === DEFAULT_MASKING.keep)
          delete departments[String(departmentId)];
        else departments[String(departmentId)] = options;
        await repo.put(MASKING_SETTING, { departments }, actor.agentId);
        await audit.record(
          {
            actor: { kind: 'agent', id: actor.agentId, label: actor.label },
            action: 'department.card_masking',
            outcome: 'success',
            target: { kind: 'department', id: departmentId },
            departmentId,
            ip: actor.ip,
            userAgent: actor.userAgent,
            details: { mask: [before.mask, options.mask], keep: [before.keep, options.keep] },
          },
          trx,
        );
      });
      caches.delete(db);
      return options;
    },
  };
}

export type CardMasking = ReturnType<typeof cardMasking>;
