import { z } from 'zod';

export const listSchema = z.strictObject({
  agentId: z.coerce.number().int().positive().optional(),
});

export const ownListSchema = z.strictObject({});
