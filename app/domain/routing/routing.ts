import type { Logger } from '../../log.ts';
import { maskCardNumbers } from '../../shared/cardNumbers.ts';
import type { QueueEntry } from '../../shared/protocol.ts';
import type { OfferClosedView, OfferView } from '../../shared/routing.ts';
import { chatOffersRepo, type ChatOfferRow } from '../../storage/chatOffers.ts';
import { chatsRepo, type ChatRow } from '../../storage/chats.ts';
import { routingRulesRepo } from '../../storage/routingRules.ts';
import { routingStateRepo } from '../../storage/routingState.ts';
import { ER_LOCK_DEADLOCK, sqlErrno } from '../../storage/sqlErrors.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Participant } from '../chats/participants.ts';
import { errors } from '../errors.ts';
import { decide, givenUpRule, type Decision } from './decide.ts';
import { estimatedWait } from './pick.ts';

// Routing (issue 14): offers waiting chats to online agents by each department's rule. Every decision
// runs in a transaction holding the routing lock (routing_rules row 0 FOR UPDATE), so several app
// processes never offer one chat twice nor push an agent past capacity; a process only coalesces its
// own triggers.

/** What routing tells the transport to deliver. */
export interface RoutingEvents {
  offered(agentId: number, offer: OfferView): void;
  offerClosed(agentId: number, closed: OfferClosedView): void;
}

type Agent = Participant & { kind: 'agent' };
/** The window over which the rate of taken chats is measured, for the estimated wait. */
const RATE_WINDOW_SECONDS = 900;
const RATE_CACHE_MS = 5000;
const SWEEP_MS = 1000;
const SAFETY_EVERY_SWEEPS = 5;

const closedView = (row: ChatOfferRow, outcome: OfferClosedView['outcome']): OfferClosedView => ({
  offerId: row.id,
  chatId: row.chat_id,
  outcome,
});

function offerView(
  offer: ChatOfferRow,
  chat: Pick<ChatRow, 'department_id' | 'visitor_name' | 'question' | 'created_at'>,
): OfferView {
  return {
    offerId: offer.id,
    chatId: offer.chat_id,
    departmentId: chat.department_id,
    visitorName: chat.visitor_name,
    question: chat.question,
    waitingSince: chat.created_at.toISOString(),
    offeredAt: offer.offered_at.toISOString(),
    expiresAt: offer.expires_at.toISOString(),
    timeoutSeconds: Math.round((offer.expires_at.getTime() - offer.offered_at.getTime()) / 1000),
  };
}

export function routingService(db: Store, events: RoutingEvents, audit: AuditLog, log: Logger) {
  let publishQueue: (departmentId: number | null) => Promise<void> = () => Promise.resolve();

  /** Runs `work` holding the routing lock (creating the lock row first if a fresh database lacks it). */
  async function locked<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await transaction(db, async (tx) => {
          if (!(await routingRulesRepo(tx).lock())) throw new MissingLockRow();
          return work(tx);
        });
      } catch (error) {
        if (error instanceof MissingLockRow) await routingRulesRepo(db).ensureGlobal();
        else if (sqlErrno(error) !== ER_LOCK_DEADLOCK || attempt >= 3) throw error;
      }
    }
  }

  function deliver(decision: Decision): void {
    for (const row of decision.closed)
      events.offerClosed(row.agent_id, closedView(row, row.outcome));
    for (const made of decision.offers) {
      events.offered(
        made.offer.agent_id,
        offerView(made.offer, {
          department_id: made.departmentId,
          visitor_name: made.visitorName,
          question: made.question,
          created_at: made.waitingSince,
        }),
      );
    }
    for (const departmentId of decision.departments) void publish(departmentId);
  }

  const publish = (departmentId: number | null) =>
    publishQueue(departmentId).catch((error: unknown) =>
      log.error({ err: String(error) }, 'queue publish failed'),
    );

  // The rate over 15 minutes moves slowly: read it at most every few seconds per department, not
  // once per queue snapshot and per waiting visitor's view.
  const rates = new Map<number | null, { at: number; taken: Promise<number> }>();
  function recentRate(departmentId: number | null): Promise<number> {
    const cached = rates.get(departmentId);
    if (cached && Date.now() - cached.at < RATE_CACHE_MS) return cached.taken;
    const taken = routingStateRepo(db).acceptedSince(departmentId, RATE_WINDOW_SECONDS);
    rates.set(departmentId, { at: Date.now(), taken });
    taken.catch(() => rates.delete(departmentId));
    return taken;
  }

  let running: Promise<void> | null = null;
  let again = false;
  async function loop(): Promise<void> {
    do {
      again = false;
      try {
        deliver(await locked(decide));
      } catch (error) {
        log.error({ err: String(error) }, 'routing decision failed');
      }
    } while (again);
  }
  /** Runs a routing decision soon; triggers while one runs coalesce into one more run. */
  function route(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = loop().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    route,
    /** The chat service publishes the queue; routing asks it to after each decision. */
    onQueueChange(publishDepartment: (departmentId: number | null) => Promise<void>) {
      publishQueue = publishDepartment;
    },

    /** Before an accept: this agent's open offer of the chat, if they hold one (read without locks). */
    ownOffer: async (chatId: number, agentId: number): Promise<ChatOfferRow | null> => {
      const open = await chatOffersRepo(db).openForChat(chatId);
      return open?.agent_id === agentId ? open : null;
    },

    /**
     * Inside the accept transaction (as its first read): closes this agent's offer of the chat as
     * accepted, or refuses a chat offered to someone else. An agent taking the offer `ownOffer` found
     * needs only that offer's row lock: no decision offers a chat while an offer of it is open, and
     * the agent's load does not change, so accepts do not queue behind routing decisions. Any other
     * accept takes the routing lock.
     */
    async claim(
      tx: Store,
      chatId: number,
      agentId: number,
      own: ChatOfferRow | null,
    ): Promise<ChatOfferRow | null> {
      if (own && (await chatOffersRepo(tx).decide(own.id, 'accepted'))) return own;
      // The row comes with the migrations; creating it here would wait on this transaction's own gap lock.
      if (!(await routingRulesRepo(tx).lock())) throw errors.unavailable('Routing');
      const offers = chatOffersRepo(tx);
      const open = await offers.openForChat(chatId);
      if (!open) return null;
      if (open.agent_id !== agentId) throw errors.chatOfferedToOther();
      await offers.decide(open.id, 'accepted');
      return open;
    },
    /** After an accept: tells the agent's other consoles the offer is closed. */
    accepted(offer: ChatOfferRow | null): void {
      if (offer) events.offerClosed(offer.agent_id, closedView(offer, 'accepted'));
    },

    /** The offered agent declines; the chat goes to the next agent (or, after M, to the manual queue). */
    async refuse(who: Agent, chatId: number, typedReason: string): Promise<void> {
      const reason = maskCardNumbers(typedReason).text;
      const entry = {
        actor: { kind: 'agent' as const, id: who.agent.id, label: who.agent.email },
        action: 'chat.refuse',
        target: { kind: 'chat', id: chatId },
        ip: who.source?.ip,
        userAgent: who.source?.userAgent,
      };
      const refused = await locked(async (tx) => {
        const open = await chatOffersRepo(tx).openForChat(chatId);
        if (!open || open.agent_id !== who.agent.id) return null;
        const departmentId = await chatsRepo(tx).departmentOf(chatId);
        if (!who.grants.covers('chats.refuse', { departmentId, agentId: null }))
          throw errors.forbidden('refuse chats of this department');
        await chatOffersRepo(tx).decide(open.id, 'refused', reason);
        const details = { offerId: open.id, reason };
        await audit.record({ ...entry, departmentId, outcome: 'success', details }, tx);
        return { offer: open, departmentId };
      });
      if (!refused) {
        await audit.record({ ...entry, outcome: 'failure', details: { reason: 'no_open_offer' } });
        throw errors.offerNotFound();
      }
      events.offerClosed(refused.offer.agent_id, closedView(refused.offer, 'refused'));
      await route();
      // Offered to no one now (waiting, or flagged after the last refusal): queues and boards show it.
      void publish(refused.departmentId);
    },

    /** For the availability capability: the agent went away or offline; their offers go to others. */
    async agentUnavailable(agentId: number): Promise<void> {
      const withdrawn = await locked(async (tx) => {
        const offers = chatOffersRepo(tx);
        const open = await offers.openForAgent(agentId);
        for (const row of open) await offers.decide(row.id, 'withdrawn', 'agent unavailable');
        return open;
      });
      for (const row of withdrawn) events.offerClosed(agentId, closedView(row, 'withdrawn'));
      await route();
    },
    /** Marks the queue's chats under offer, and those routing gave up on (flagged for the admins). */
    async decorate(entries: QueueEntry[]): Promise<QueueEntry[]> {
      const states = await chatOffersRepo(db).states(entries.map((entry) => entry.chatId));
      if (states.size === 0) return entries;
      const givenUp = await givenUpRule(db);
      return entries.map((entry) => {
        const state = states.get(entry.chatId);
        if (!state) return entry;
        if (state.open) return { ...entry, routing: 'offered' };
        return givenUp(entry.departmentId, state.declines)
          ? { ...entry, routing: 'flagged' }
          : entry;
      });
    },
    /** This agent's open offers, as `offer:new` carried them. */
    async offersFor(agentId: number): Promise<OfferView[]> {
      const open = await chatOffersRepo(db).openForAgent(agentId);
      const views: OfferView[] = [];
      for (const offer of open) {
        const chat = await chatsRepo(db).byId(offer.chat_id);
        if (chat) views.push(offerView(offer, chat));
      }
      return views;
    },
    /** For the availability capability: an agent came online (capacity freed up). */
    agentAvailable: (): Promise<void> => route(),

    /** The estimated wait of these queue positions in a department, at the recent rate. */
    async estimate(departmentId: number | null, positions: number[]) {
      const taken = await recentRate(departmentId);
      return positions.map((position) => estimatedWait(position, taken, RATE_WINDOW_SECONDS));
    },

    /** Every second: offers that ran out move on (DB-serialised); now and then a full pass. */
    sweepPeriodically(): () => void {
      let ticks = 0;
      const timer = setInterval(() => {
        ticks += 1;
        const safety = ticks % SAFETY_EVERY_SWEEPS === 0;
        void chatOffersRepo(db)
          .anyExpired()
          .then((expired) => (expired || safety ? route() : undefined))
          .catch((error: unknown) => log.error({ err: String(error) }, 'routing sweep failed'));
      }, SWEEP_MS);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

class MissingLockRow extends Error {}

export type RoutingService = ReturnType<typeof routingService>;
