import {
  DEFAULT_NOTIFICATION_SETTINGS,
  NOTIFICATION_KINDS,
  type NotificationSettings,
} from '../../shared/agentNotifications.ts';
import {
  notificationSettingsRepo,
  type NotificationSettingsRow,
} from '../../storage/notificationSettings.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';

// An agent's own notification settings (issue 14): read and saved only for the signed-in agent.

const toRow = (settings: NotificationSettings) =>
  Object.fromEntries(
    NOTIFICATION_KINDS.flatMap((kind) => [
      [`${kind}_sound`, settings[kind].sound],
      [`${kind}_desktop`, settings[kind].desktop],
    ]),
  ) as NotificationSettingsRow;

const fromRow = (row: NotificationSettingsRow): NotificationSettings =>
  Object.fromEntries(
    NOTIFICATION_KINDS.map((kind) => [
      kind,
      { sound: row[`${kind}_sound`], desktop: row[`${kind}_desktop`] },
    ]),
  ) as NotificationSettings;

export interface SettingsActor {
  agent: { id: number; email: string };
  ip: string;
  userAgent: string;
}

export function notificationSettings(db: Store, audit: AuditLog) {
  return {
    async of(agentId: number): Promise<NotificationSettings> {
      const row = await notificationSettingsRepo(db).ofAgent(agentId);
      return row ? fromRow(row) : DEFAULT_NOTIFICATION_SETTINGS;
    },
    async save(
      actor: SettingsActor,
      settings: NotificationSettings,
    ): Promise<NotificationSettings> {
      await transaction(db, async (tx) => {
        await notificationSettingsRepo(tx).save(actor.agent.id, toRow(settings));
        await audit.record(
          {
            actor: { kind: 'agent', id: actor.agent.id, label: actor.agent.email },
            action: 'notification_settings.update',
            outcome: 'success',
            target: { kind: 'agent', id: actor.agent.id },
            ip: actor.ip,
            userAgent: actor.userAgent,
            details: { settings },
          },
          tx,
        );
      });
      return settings;
    },
  };
}
