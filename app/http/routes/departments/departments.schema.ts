import { z } from 'zod';
import { nameField } from '../agents/agents.schema.ts';

const descriptionField = z.string().trim().max(255);

export const createUnitSchema = z.strictObject({
  name: nameField,
  description: descriptionField.optional(),
});

export const updateUnitSchema = z
  .strictObject({ name: nameField.optional(), description: descriptionField.optional() })
  .refine((body) => body.name !== undefined || body.description !== undefined, {
    message: 'name at least one field to change',
  });
