import { z } from 'zod';

export const visitorTokenSchema = z.strictObject({
  token: z.string().max(200).optional(),
});
