import { z } from 'zod';

/** PUT /api/departments/:id/offer — an empty visitor name means "show the department's name". */
export const departmentOfferSchema = z.strictObject({
  visitorName: z
    .string()
    .trim()
    .max(100, 'the visitor name can be at most 100 characters')
    .nullable()
    .transform((value) => (value === '' ? null : value)),
  offered: z.boolean(),
});
