import type { Env } from '../../../config/schema.ts';
import type { LimitRule } from '../../storage/rateLimiters.ts';

// The visitor limits (issue 12): what a hostile visitor may do at most, per source address and per
// visitor token. Each limit is a fixed window of `points` per `seconds`, and a burst of `burst` more
// attempts spread over BURST_WINDOWS windows, so a reconnecting widget that resends its outbox is
// never refused while a script that keeps going is.

export const LIMITS = [
  { id: 'token', label: 'Visitor tokens', what: 'Too many visitor sessions were requested' },
  { id: 'connect', label: 'Socket connections', what: 'Too many connections were opened' },
  { id: 'chatStart', label: 'Chat starts', what: 'Too many chats were started' },
  { id: 'message', label: 'Messages', what: 'Too many messages were sent' },
  { id: 'typing', label: 'Typing events', what: 'Too many typing events were sent' },
  { id: 'upload', label: 'File uploads', what: 'Too many files were sent' },
] as const;

export type LimitId = (typeof LIMITS)[number]['id'];
export const LIMIT_IDS: readonly LimitId[] = LIMITS.map((limit) => limit.id);

/** Who is counted: the source address (an IPv6 /64 counts as one) and the visitor token's visitor. */
export const DIMENSIONS = ['address', 'visitor'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export type { LimitRule };

/** The burst allowance refills over this many of the limit's windows. */
export const BURST_WINDOWS = 10;

export type LimitPolicy = Record<LimitId, Record<Dimension, LimitRule>>;

/** The configured rules (PARLEY_RATE_<LIMIT>_PER_ADDRESS / _PER_VISITOR). */
export function policyFromEnv(env: Env): LimitPolicy {
  return {
    token: {
      address: env.PARLEY_RATE_TOKEN_PER_ADDRESS,
      visitor: env.PARLEY_RATE_TOKEN_PER_VISITOR,
    },
    connect: {
      address: env.PARLEY_RATE_CONNECT_PER_ADDRESS,
      visitor: env.PARLEY_RATE_CONNECT_PER_VISITOR,
    },
    chatStart: {
      address: env.PARLEY_RATE_CHAT_START_PER_ADDRESS,
      visitor: env.PARLEY_RATE_CHAT_START_PER_VISITOR,
    },
    message: {
      address: env.PARLEY_RATE_MESSAGE_PER_ADDRESS,
      visitor: env.PARLEY_RATE_MESSAGE_PER_VISITOR,
    },
    typing: {
      address: env.PARLEY_RATE_TYPING_PER_ADDRESS,
      visitor: env.PARLEY_RATE_TYPING_PER_VISITOR,
    },
    upload: {
      address: env.PARLEY_RATE_UPLOAD_PER_ADDRESS,
      visitor: env.PARLEY_RATE_UPLOAD_PER_VISITOR,
    },
  };
}

/** Whole seconds to wait before the next attempt can pass: at least 1, rounded up. */
export function retryAfterSeconds(msBeforeNext: number): number {
  if (!Number.isFinite(msBeforeNext) || msBeforeNext <= 0) return 1;
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

export function describeLimit(id: LimitId): string {
  return LIMITS.find((limit) => limit.id === id)?.what ?? 'Too many requests were made';
}

/** Every rule by its counter's name (`<limit>.<dimension>`), for the storage's counters. */
export function namedRules(policy: LimitPolicy): Map<string, LimitRule> {
  return new Map(
    LIMIT_IDS.flatMap((limit) =>
      DIMENSIONS.map((dimension) => [`${limit}.${dimension}`, policy[limit][dimension]] as const),
    ),
  );
}
