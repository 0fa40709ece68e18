import type { AuthorKind, MessageView } from '../../app/shared/protocol.ts';
import { newClientId } from '../../app/shared/clientIds.ts';

/** A message the server has not acknowledged yet; `error` is set when the server refused it. */
export interface PendingMessage {
  clientId: string;
  author: AuthorKind;
  authorName: string | null;
  body: string;
  createdAt: string;
  error: string | null;
}

/** Adds the messages of `chatId` not seen yet, ordered by seq; null when nothing is new. */
export function mergeBySeq(
  current: MessageView[],
  incoming: MessageView[],
  chatId: number,
): MessageView[] | null {
  const known = new Set(current.map((m) => m.seq));
  const fresh: MessageView[] = [];
  for (const message of incoming) {
    if (message.chatId !== chatId || known.has(message.seq)) continue;
    known.add(message.seq);
    fresh.push(message);
  }
  if (fresh.length === 0) return null;
  return [...current, ...fresh].sort((a, b) => a.seq - b.seq);
}

/** Drops outbox entries whose message the server has stored (matched by clientId). */
export function settle(outbox: PendingMessage[], stored: MessageView[]): PendingMessage[] {
  const clientIds = new Set(stored.map((m) => m.clientId));
  return outbox.filter((p) => !clientIds.has(p.clientId));
}

export function createPending(
  body: string,
  author: AuthorKind,
  authorName: string | null,
): PendingMessage {
  const createdAt = new Date().toISOString();
  return { clientId: newClientId(), author, authorName, body, createdAt, error: null };
}

/** Which sends await an acknowledgement, so a flush never emits the same one twice at once. */
export class InFlight {
  #clientIds = new Set<string>();

  /** False when this clientId is already on its way. */
  begin(clientId: string): boolean {
    if (this.#clientIds.has(clientId)) return false;
    this.#clientIds.add(clientId);
    return true;
  }

  end(clientId: string): void {
    this.#clientIds.delete(clientId);
  }
}
