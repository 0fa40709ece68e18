import { z } from 'zod';
import { KEEP_HOURS } from '../../../domain/rateLimits/refusals.ts';

/** GET /api/rate-limits?hours=24: how many of the last hours (1 to 168) to count refusals over. */
export const refusalQuerySchema = z.strictObject({
  hours: z.coerce
    .number({ error: 'must be a number of hours' })
    .int('must be a whole number of hours')
    .min(1)
    .max(KEEP_HOURS)
    .default(24),
});
