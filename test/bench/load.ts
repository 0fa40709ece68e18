import { performance } from 'node:perf_hooks';
import type { Ack, MessageView } from '../../app/shared/protocol.ts';
import type { Fleet } from './clients.ts';
import { summarize, type Summary } from './stats.ts';

/** A fixed offered rate (open loop), or N unacknowledged messages per chat (closed loop). */
export type Load = { kind: 'rate'; rate: number } | { kind: 'window'; window: number };

export interface PhaseSpec {
  name: string;
  load: Load;
  warmupMs: number;
  measureMs: number;
  /** After sending stops: how long to wait for the last acks and deliveries. */
  drainMs: number;
  /** Open loop only: sends due while this many are unacknowledged are skipped and counted. */
  maxInFlight: number;
}

export interface PhaseResult {
  name: string;
  load: Load;
  /** Per second over the measurement window. */
  sentPerSec: number;
  ackedPerSec: number;
  deliveredPerSec: number;
  /** visitor emits message:send → agent socket receives message:new (ms). */
  delivery: Summary;
  /** visitor emits message:send → its durable ack arrives (ms). */
  ack: Summary;
  counts: {
    sent: number;
    acked: number;
    ackErrors: Record<string, number>;
    delivered: number;
    duplicates: number;
    /** Acked but never delivered, or never acked, when the drain ended. */
    lost: number;
    unacked: number;
    skipped: number;
  };
}

type WindowHook = (edge: 'start' | 'end') => void;

/** Drives one phase over the fleet; every message carries its send time in its body. */
export async function runPhase(fleet: Fleet, phase: number, spec: PhaseSpec, hook: WindowHook) {
  const chats = fleet.visitors.length;
  const sentAt: number[] = [];
  const ackAt: number[] = [];
  const deliveredAt: number[] = [];
  const deliveryMs: number[] = [];
  const rejected: boolean[] = [];
  const ackErrors: Record<string, number> = {};
  let acked = 0;
  let delivered = 0;
  let duplicates = 0;
  let inFlight = 0;
  let skipped = 0;
  let sending = true;

  const start = performance.now();
  const windowStart = start + spec.warmupMs;
  const windowEnd = windowStart + spec.measureMs;

  fleet.onDelivery = (message: MessageView) => {
    const now = performance.now();
    const [stamp, tag, index] = message.body.split(' ');
    if (tag !== `p${phase}`) return; // a straggler from an earlier phase
    const i = Number(index);
    if (deliveredAt[i] !== undefined) {
      duplicates += 1;
      return;
    }
    deliveredAt[i] = now;
    delivered += 1;
    const sent = Number(stamp);
    if (sent >= windowStart && sent < windowEnd) deliveryMs.push(now - sent);
  };

  const send = (chat: number, refill: boolean) => {
    const i = sentAt.length;
    const now = performance.now();
    sentAt.push(now);
    inFlight += 1;
    const input = {
      chatId: fleet.chatIds[chat]!,
      clientId: `bench-p${phase}-${i}`,
      body: `${now.toFixed(3)} p${phase} ${i}`,
    };
    fleet.visitors[chat]!.emit('message:send', input, (reply: Ack<{ message: MessageView }>) => {
      inFlight -= 1;
      if (reply.ok) {
        ackAt[i] = performance.now();
        acked += 1;
      } else {
        rejected[i] = true;
        ackErrors[reply.error.id] = (ackErrors[reply.error.id] ?? 0) + 1;
      }
      if (refill && sending) send(chat, true);
    });
  };

  let windowOpen = false;
  const edges = () => {
    const now = performance.now();
    if (!windowOpen && now >= windowStart) {
      windowOpen = true;
      hook('start');
    }
    if (now >= windowEnd && sending) {
      sending = false;
      hook('end');
    }
  };

  await new Promise<void>((resolve) => {
    if (spec.load.kind === 'window') {
      for (let w = 0; w < spec.load.window; w += 1)
        for (let c = 0; c < chats; c += 1) send(c, true);
    }
    const rate = spec.load.kind === 'rate' ? spec.load.rate : 0;
    let scheduled = 0;
    const tick = () => {
      edges();
      if (!sending) {
        resolve();
        return;
      }
      // Open loop: catch up to the schedule, round-robin over the chats.
      const due = Math.floor(((performance.now() - start) * rate) / 1000);
      for (; scheduled < due; scheduled += 1) {
        if (inFlight >= spec.maxInFlight) skipped += 1;
        else send(scheduled % chats, false);
      }
      setTimeout(tick, 1);
    };
    tick();
  });

  const drainUntil = performance.now() + spec.drainMs;
  while ((inFlight > 0 || delivered < acked) && performance.now() < drainUntil) await sleep(20);
  fleet.onDelivery = () => undefined;

  const inWindow = (t: number | undefined) => t !== undefined && t >= windowStart && t < windowEnd;
  const perSec = (times: (number | undefined)[]) =>
    (times.filter(inWindow).length * 1000) / spec.measureMs;
  const ackMs: number[] = [];
  let lost = 0;
  for (let i = 0; i < sentAt.length; i += 1) {
    const ackTime = ackAt[i];
    if (inWindow(sentAt[i]) && ackTime !== undefined) ackMs.push(ackTime - sentAt[i]!);
    // Lost: acknowledged as stored but never delivered, or never answered at all.
    if (!rejected[i] && (ackTime === undefined || deliveredAt[i] === undefined)) lost += 1;
  }
  const result: PhaseResult = {
    name: spec.name,
    load: spec.load,
    sentPerSec: perSec(sentAt),
    ackedPerSec: perSec(ackAt),
    deliveredPerSec: perSec(deliveredAt),
    delivery: summarize(deliveryMs),
    ack: summarize(ackMs),
    counts: {
      sent: sentAt.length,
      acked,
      ackErrors,
      delivered,
      duplicates,
      lost,
      unacked: inFlight,
      skipped,
    },
  };
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
