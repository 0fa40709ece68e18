import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export type OfferOutcome = 'accepted' | 'refused' | 'timed_out' | 'withdrawn';

export interface ChatOfferRow {
  id: number;
  chat_id: number;
  agent_id: number;
  offered_at: Date;
  expires_at: Date;
  outcome: OfferOutcome | null;
  reason: string | null;
  decided_at: Date | null;
}

export type StaleOfferRow = ChatOfferRow & {
  chat_status: string;
  chat_department_id: number | null;
};

const normalize = (row: ChatOfferRow): ChatOfferRow => ({
  ...row,
  id: Number(row.id),
  chat_id: Number(row.chat_id),
  agent_id: Number(row.agent_id),
});

/** Offers of chats to agents made by routing (issue 14); an offer is open while `outcome` is null. */
export function chatOffersRepo(store: Store) {
  const db = knexOf(store);
  const open = () => db('chat_offers').whereNull('outcome');
  return {
    async insert(chatId: number, agentId: number, timeoutSeconds: number): Promise<ChatOfferRow> {
      // RETURNING (MariaDB 10.5+): the row with its times as the database set them, in one round trip.
      const [rows] = (await db.raw(
        `INSERT INTO chat_offers (chat_id, agent_id, offered_at, expires_at)
         VALUES (?, ?, NOW(3), NOW(3) + INTERVAL ? SECOND) RETURNING *`,
        [chatId, agentId, timeoutSeconds],
      )) as [ChatOfferRow[]];
      return normalize(rows[0]!);
    },
    async openForChat(chatId: number): Promise<ChatOfferRow | undefined> {
      const row = (await open().where({ chat_id: chatId }).first()) as ChatOfferRow | undefined;
      return row && normalize(row);
    },
    async openForAgent(agentId: number): Promise<ChatOfferRow[]> {
      return ((await open().where({ agent_id: agentId }).orderBy('id')) as ChatOfferRow[]).map(
        normalize,
      );
    },
    /** Whether any open offer has run out (a cheap look before taking the routing lock). */
    async anyExpired(): Promise<boolean> {
      const row: unknown = await open().where('expires_at', '<=', db.raw('NOW(3)')).first('id');
      return row !== undefined;
    },
    /** Closes an open offer; false when it was already decided. */
    async decide(id: number, outcome: OfferOutcome, reason: string | null = null) {
      const changed = await db('chat_offers')
        .where({ id })
        .whereNull('outcome')
        .update({ outcome, reason, decided_at: db.raw('NOW(3)') });
      return changed === 1;
    },
    /** Per chat: whether an offer is open, and how many were refused or timed out. */
    async states(chatIds: number[]): Promise<Map<number, { open: boolean; declines: number }>> {
      const map = new Map<number, { open: boolean; declines: number }>();
      if (chatIds.length === 0) return map;
      const rows: { chat_id: number; open: number; declines: number }[] = await db('chat_offers')
        .whereIn('chat_id', chatIds)
        .groupBy('chat_id')
        .select(
          'chat_id',
          db.raw('SUM(outcome IS NULL) AS open'),
          db.raw("SUM(outcome IN ('refused','timed_out')) AS declines"),
        );
      for (const row of rows)
        map.set(Number(row.chat_id), {
          open: Number(row.open) > 0,
          declines: Number(row.declines),
        });
      return map;
    },
    forChat: async (chatId: number): Promise<ChatOfferRow[]> =>
      ((await db('chat_offers').where({ chat_id: chatId }).orderBy('id')) as ChatOfferRow[]).map(
        normalize,
      ),
  };
}
