import { z } from 'zod';

export const transcriptListSchema = z.object({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const chatIdParam = z.coerce.number().int().positive();
