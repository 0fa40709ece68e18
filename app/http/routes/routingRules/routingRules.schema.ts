import { z } from 'zod';

export const routingRuleSchema = z.strictObject({
  mode: z.enum(['manual', 'round_robin', 'least_busy']),
  offerTimeoutSeconds: z.number().int().min(1).max(600),
  maxRefusals: z.number().int().min(1).max(50),
  defaultCapacity: z.number().int().min(1).max(100).nullable(),
});

export const capacitySchema = z.strictObject({
  maxChats: z.number().int().min(1).max(100).nullable(),
});

export const idParam = z.coerce.number().int().positive().max(4_294_967_295);
