import { z } from 'zod';
import { AGENT_CAPACITY_MAX } from '../../../shared/routing.ts';

export const routingRuleSchema = z.strictObject({
  mode: z.enum(['manual', 'round_robin', 'least_busy']),
  offerTimeoutSeconds: z.number().int().min(1).max(600),
  maxRefusals: z.number().int().min(1).max(50),
  defaultCapacity: z.number().int().min(1).max(100).nullable(),
});

/** An agent's own limit; null clears it (the role's, department's and global defaults decide). */
export const capacitySchema = z.strictObject({
  maxChats: z
    .int('a whole number of chats, or null to follow the defaults')
    .min(1, 'at least 1 chat')
    .max(AGENT_CAPACITY_MAX, `at most ${AGENT_CAPACITY_MAX} chats`)
    .nullable(),
});

export const idParam = z.coerce.number().int().positive().max(4_294_967_295);
