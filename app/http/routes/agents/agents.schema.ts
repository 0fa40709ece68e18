import { z } from 'zod';
import { withoutCardNumber } from '../../../domain/masking/identifiers.ts';

export const nameField = z.string().trim().min(1).max(100);
const emailField = withoutCardNumber(z.string().trim().max(254).pipe(z.email()));
export const roleField = withoutCardNumber(
  z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_-]{1,49}$/, 'lower-case letters, digits, _ and -, 2 to 50 characters'),
);
export const idList = z
  .array(z.int().positive())
  .max(500)
  .transform((ids) => [...new Set(ids)].sort((a, b) => a - b));
// Any length up to this reaches the policy, which reports length itself.
export const passwordField = z.string().min(1).max(1024);

export const createAgentSchema = z.strictObject({
  name: nameField,
  email: emailField,
  role: roleField,
  departments: idList.default([]),
  groups: idList.default([]),
  password: passwordField.optional(),
});

export const updateAgentSchema = z
  .strictObject({
    name: nameField.optional(),
    email: emailField.optional(),
    role: roleField.optional(),
    departments: idList.optional(),
    groups: idList.optional(),
    active: z.boolean().optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'name at least one field to change',
  });

export const resetPasswordSchema = z.strictObject({ password: passwordField.optional() });
