import { z } from 'zod';
import { OUTCOMES } from '../../../domain/audit/chain.ts';

// Query strings: an empty field (as a form sends it) means "no filter".
const blankIsAbsent = (value: unknown) => (value === '' ? undefined : value);
const optional = <S extends z.ZodType>(schema: S) => z.preprocess(blankIsAbsent, schema.optional());

const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'must be an ISO 8601 date or time such as 2026-11-22 or 2026-11-22T09:30:00Z',
  })
  .transform((value) => new Date(value));

const filterFields = {
  from: optional(instant),
  to: optional(instant),
  actor: optional(z.string().trim().min(1).max(254)),
  action: optional(
    z
      .string()
      .trim()
      .max(64)
      .regex(
        /^[A-Za-z0-9_.:-]+\*?$/,
        'must be an action such as agent.create, or a prefix such as agent.',
      ),
  ),
  departmentId: optional(z.coerce.number().int().positive()),
  outcome: optional(z.enum(OUTCOMES as ['success', 'failure', 'denied'])),
  q: optional(z.string().trim().min(1).max(200)),
  address: optional(
    z
      .string()
      .trim()
      .max(45)
      .regex(/^[0-9A-Fa-f:.]+$/, 'must be an IPv4 or IPv6 address such as 203.0.113.7'),
  ),
};

const ordered = (input: { from?: Date; to?: Date }) =>
  !input.from || !input.to || input.from.getTime() <= input.to.getTime();
const orderedMessage = { message: '`from` must not be after `to`', path: ['from'] };

export const auditSearchSchema = z
  .strictObject({
    ...filterFields,
    before: optional(z.coerce.number().int().positive()),
    limit: z.preprocess(blankIsAbsent, z.coerce.number().int().min(1).max(200).default(50)),
  })
  .refine(ordered, orderedMessage);

export const auditExportSchema = z
  .strictObject({ ...filterFields, format: z.enum(['csv', 'json', 'jsonl']) })
  .refine(ordered, orderedMessage);

export const emptyQuerySchema = z.strictObject({});
