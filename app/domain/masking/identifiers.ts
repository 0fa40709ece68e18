import { z } from 'zod';
import { holdsCardData } from '../../shared/maskDeep.ts';

// Identifiers a client or an admin chooses are stored as given and looked up by value, so they are
// never masked: they are refused when they hold a card number (issue 12), with a message that says so.

export const CARD_NUMBER_REFUSED = 'must not contain a card number or security code';

/** The same string schema, refusing values that hold a card number. */
export const withoutCardNumber = <S extends z.ZodType<string>>(schema: S) =>
  schema.refine((value) => !holdsCardData(value), CARD_NUMBER_REFUSED);

/** A message's or upload's client id: 8–64 letters, digits, - and _, and no card number. */
export const clientIdSchema = withoutCardNumber(
  z
    .string()
    .min(8)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only'),
);
