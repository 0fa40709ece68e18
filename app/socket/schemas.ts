import { z } from 'zod';
import { clientIdSchema } from '../domain/masking/identifiers.ts';

// Socket payloads, validated before any handler runs. Limits on every string.

const chatId = z.number().int().positive();
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((value) => (value === '' ? undefined : value));

export const emptySchema = z.strictObject({});
export const chatRefSchema = z.strictObject({ chatId });
export const syncSchema = z.strictObject({ chatId, afterSeq: z.number().int().min(0) });
export const typingSchema = z.strictObject({ chatId, typing: z.boolean() });

export const startChatSchema = z.strictObject({
  name: optionalText(100),
  email: optionalText(254).pipe(z.email('must be an email address').optional()),
  question: optionalText(1000),
  departmentId: z.number().int().positive().optional(),
});

export function sendSchema(maxChars: number) {
  return z.strictObject({
    chatId,
    clientId: clientIdSchema,
    body: z
      .string()
      .trim()
      .min(1, 'a message cannot be empty')
      .max(maxChars, `a message can be at most ${maxChars} characters`),
  });
}
