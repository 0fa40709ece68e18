import { z } from 'zod';
import { passwordField } from '../agents/agents.schema.ts';

export const changePasswordSchema = z.strictObject({
  currentPassword: passwordField,
  newPassword: passwordField,
});
