import { z } from 'zod';
import { withoutCardNumber } from '../../../domain/masking/identifiers.ts';
import { parseCidr } from '../../../shared/cidr.ts';

/** An address or CIDR range, checked strictly and turned into its canonical form. */
const cidr = z
  .string()
  .trim()
  .min(1, 'give an address or CIDR range such as 203.0.113.0/24')
  .max(100)
  .transform((raw, ctx) => {
    const parsed = parseCidr(raw);
    if (parsed.ok) return parsed.cidr;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  });
const note = z.string().trim().max(200).default('');
const confirmLockout = z.boolean().default(false);

export const addIpRuleSchema = z.discriminatedUnion(
  'scope',
  [
    z.strictObject({ scope: z.literal('global'), cidr, note, confirmLockout }),
    z.strictObject({
      scope: z.literal('role'),
      role: withoutCardNumber(z.string().trim().min(1).max(50)),
      cidr,
      note,
      confirmLockout,
    }),
    z.strictObject({
      scope: z.literal('agent'),
      agentId: z.number().int().positive(),
      cidr,
      note,
      confirmLockout,
    }),
  ],
  { error: 'must be "global", "role" (with role) or "agent" (with agentId)' },
);

// DELETE has no body (the body parser reads none for it): the confirmation is a query parameter.
export const removeIpRuleQuery = z.strictObject({
  confirmLockout: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
});

export const ipRuleIdParam = z.coerce.number().int().positive().max(4_294_967_295);
