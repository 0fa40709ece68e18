import { z } from 'zod';

export const emptySchema = z.strictObject({});
export const agentIdParams = z.strictObject({ id: z.coerce.number().int().positive() });
