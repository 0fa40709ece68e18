import { knexOf } from './db.ts';
import type { Store } from './store.ts';

// An agent's notification settings (issue 14): one row per agent who changed them.

const KINDS = ['offer', 'queue', 'message'] as const;
type Kind = (typeof KINDS)[number];

export type NotificationSettingsRow = Record<`${Kind}_${'sound' | 'desktop'}`, boolean>;

const COLUMNS = KINDS.flatMap((kind) => [`${kind}_sound`, `${kind}_desktop`]);

export function notificationSettingsRepo(store: Store) {
  const db = knexOf(store);
  return {
    async ofAgent(agentId: number): Promise<NotificationSettingsRow | undefined> {
      const row = await db('agent_notification_settings')
        .where({ agent_id: agentId })
        .first<Record<string, unknown> | undefined>(COLUMNS);
      if (!row) return undefined;
      return Object.fromEntries(
        COLUMNS.map((column) => [column, Number(row[column]) === 1]),
      ) as NotificationSettingsRow;
    },
    async save(agentId: number, settings: NotificationSettingsRow): Promise<void> {
      const values = Object.fromEntries(
        COLUMNS.map((c) => [c, settings[c as keyof NotificationSettingsRow] ? 1 : 0]),
      );
      await db('agent_notification_settings')
        .insert({ agent_id: agentId, ...values })
        .onConflict('agent_id')
        .merge({ ...values, updated_at: db.fn.now(3) });
    },
  };
}
