import { z } from 'zod';
import { holdsCardData } from '../../../shared/maskDeep.ts';
import {
  SHORTCUT_PATTERN,
  TEXT_MAX,
  TITLE_MAX,
  normaliseShortcut,
} from '../../../shared/cannedMessages.ts';

const shortcut = z
  .string()
  .transform(normaliseShortcut)
  .pipe(
    z
      .string()
      .regex(SHORTCUT_PATTERN, 'use 1 to 32 letters, digits, - or _ (after the #)')
      // A shortcut is an identifier: one that reads as a card number is refused, not masked.
      .refine((value) => !holdsCardData(value), 'a shortcut cannot hold a card number'),
  );
const title = z.string().trim().min(1, 'give it a title').max(TITLE_MAX);
const text = z.string().trim().min(1, 'write the text').max(TEXT_MAX);

export const createCannedSchema = z.strictObject({
  scope: z.enum(['personal', 'department', 'global']),
  departmentId: z.number().int().positive().nullable().optional(),
  title,
  text,
  shortcut,
});

export const updateCannedSchema = z
  .strictObject({ title: title.optional(), text: text.optional(), shortcut: shortcut.optional() })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'name at least one field to change',
  });

export const cannedListSchema = z.strictObject({
  chatId: z.coerce.number().int().positive().optional(),
});
