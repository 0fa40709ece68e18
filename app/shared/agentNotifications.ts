// Agent notifications (issue 14): per agent, per kind of event, sound and desktop.
export type NotificationKind = 'offer' | 'queue' | 'message';
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['offer', 'queue', 'message'];

export type NotificationSettings = Record<NotificationKind, { sound: boolean; desktop: boolean }>;

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  offer: { sound: true, desktop: true },
  queue: { sound: true, desktop: true },
  message: { sound: true, desktop: true },
};
