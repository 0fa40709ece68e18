import type { QueueEntry } from '../../../app/shared/protocol.ts';

// The server sends the queue one department at a time (issue 14): a slice replaces that
// department's entries; without a slice the list is the whole queue (queue:list).

export function mergeQueueSlice(
  queue: QueueEntry[],
  entries: QueueEntry[],
  slice?: { departmentId: number | null },
): QueueEntry[] {
  if (!slice) return entries;
  const others = queue.filter((entry) => entry.departmentId !== slice.departmentId);
  return [...others, ...entries].sort(
    (a, b) => Date.parse(a.waitingSince) - Date.parse(b.waitingSince) || a.chatId - b.chatId,
  );
}
