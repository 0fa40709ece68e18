import type { MessageView } from '../../app/shared/protocol.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});

export function formatTime(iso: string): string {
  return timeFormat.format(new Date(iso));
}

export function formatDateTime(iso: string): string {
  return dateTimeFormat.format(new Date(iso));
}

/** Elapsed time as `m:ss` (or `h:mm:ss`), which stays readable at a glance in a busy queue. */
export function formatElapsed(sinceIso: string, now: number): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(sinceIso)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function authorLabel(message: Pick<MessageView, 'author' | 'authorName'>): string {
  if (message.authorName) return message.authorName;
  if (message.author === 'agent') return 'Agent';
  if (message.author === 'visitor') return 'Visitor';
  return 'Parley';
}
