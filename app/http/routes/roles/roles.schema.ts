import { z } from 'zod';
import { ROLE_CAPACITY_MAX } from '../../../shared/routing.ts';
import { ALL_PERMISSIONS, type Permission } from '../../../shared/permissions.ts';
import { idList, roleField } from '../agents/agents.schema.ts';

const descriptionField = z.string().trim().max(255);

export const createRoleSchema = z.strictObject({
  name: roleField,
  description: descriptionField.optional(),
  requireTotp: z.boolean().optional(),
});

/** Minutes, to the hundredth (0.05 = 3 seconds); null: never away by idleness. */
const awayAfterField = z
  .number()
  .min(0.01)
  .max(1440)
  .transform((minutes) => Math.round(minutes * 100) / 100)
  .nullable();

/** Chats at once for an agent of the role (issue 14); null: the department's and global defaults. */
const defaultCapacityField = z
  .int('a whole number of chats')
  .min(1, 'at least 1 chat')
  .max(ROLE_CAPACITY_MAX, `at most ${ROLE_CAPACITY_MAX} chats`)
  .nullable();

export const updateRoleSchema = z
  .strictObject({
    description: descriptionField.optional(),
    requireTotp: z.boolean().optional(),
    awayAfterMinutes: awayAfterField.optional(),
    defaultCapacity: defaultCapacityField.optional(),
  })
  .refine(
    (body) =>
      body.description !== undefined ||
      body.requireTotp !== undefined ||
      body.awayAfterMinutes !== undefined ||
      body.defaultCapacity !== undefined,
    { message: 'name at least one field to change' },
  );

export const roleParam = roleField;

export const grantListSchema = z.union([
  z.strictObject({ role: roleField }),
  z.strictObject({ agentId: z.coerce.number().int().positive() }),
]);

export const addGrantSchema = z
  .strictObject({
    permission: z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]]),
    role: roleField.optional(),
    agentId: z.int().positive().optional(),
    scope: z.enum(['all', 'departments', 'groups']),
    scopeIds: idList.default([]),
  })
  .refine((body) => (body.role === undefined) !== (body.agentId === undefined), {
    message: 'name either a role or an agentId',
  });
