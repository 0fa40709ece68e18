// Checks the widget makes before it encrypts the secure form (issue 6); the server never sees the values.
import { isCardNumber } from '../../app/shared/cardNumbers.ts';
import type { CardDetails } from './secureFormCrypto.ts';

export type CardProblems = Partial<Record<keyof CardDetails, string>>;

const digitsOf = (text: string) => text.replace(/[\s.-]/g, '');

/** Amex uses a four-digit code; every other brand three. */
const cvcLength = (number: string) => (/^3[47]/.test(number) ? 4 : 3);

/** The problems with what was typed, field by field; empty when the form may be sent. */
export function checkCard(details: CardDetails, now = new Date()): CardProblems {
  const problems: CardProblems = {};
  const number = digitsOf(details.number);
  if (!/^\d+$/.test(number) || !isCardNumber(number))
    problems.number = 'This is not a valid card number.';
  const expiry = /^\s*(0[1-9]|1[0-2])\s*\/\s*(\d{2}|\d{4})\s*$/.exec(details.expiry);
  if (!expiry) problems.expiry = 'Use the form MM/YY.';
  else {
    const year = Number(expiry[2]!.length === 2 ? `20${expiry[2]}` : expiry[2]);
    const month = Number(expiry[1]);
    const thisMonth = now.getUTCFullYear() * 12 + now.getUTCMonth() + 1;
    if (year * 12 + month < thisMonth) problems.expiry = 'This card has expired.';
    else if (year > now.getUTCFullYear() + 20)
      problems.expiry = 'This expiry date is too far ahead.';
  }
  if (!new RegExp(`^\\d{${cvcLength(number)}}$`).test(details.cvc.trim()))
    problems.cvc = `The security code has ${cvcLength(number)} digits.`;
  if (details.name.trim().length < 2 || details.name.length > 100)
    problems.name = 'Enter the name on the card.';
  return problems;
}

/** The details as they are encrypted: digits only, trimmed. */
export function normalizedCard(details: CardDetails): CardDetails {
  return {
    number: digitsOf(details.number),
    expiry: details.expiry.replace(/\s/g, ''),
    name: details.name.trim(),
    cvc: details.cvc.trim(),
  };
}
