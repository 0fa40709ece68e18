import fc from 'fast-check';
import { luhnValid } from '../../app/shared/cardNumbers.ts';

// Generators for the masking property tests: card numbers of every brand, as people type them.

// Brands by issuer prefix range and length (Visa, Mastercard both ranges, Amex, Discover, JCB,
// Diners, UnionPay, Maestro): every prefix of each range and every length the brand issues.
const range = (low: number, high: number) =>
  Array.from({ length: high - low + 1 }, (_, i) => String(low + i));
export const BRANDS: { name: string; prefixes: string[]; lengths: number[] }[] = [
  { name: 'visa', prefixes: ['4'], lengths: [13, 16, 19] },
  { name: 'mastercard', prefixes: [...range(51, 55), ...range(2221, 2720)], lengths: [16] },
  { name: 'amex', prefixes: ['34', '37'], lengths: [15] },
  { name: 'discover', prefixes: ['6011', ...range(644, 649), '65'], lengths: [16, 17, 18, 19] },
  { name: 'jcb', prefixes: range(3528, 3589), lengths: [16, 17, 18, 19] },
  { name: 'diners', prefixes: [...range(300, 305), '36', '38', '39'], lengths: [14, 15, 16, 19] },
  { name: 'unionpay', prefixes: ['62'], lengths: [16, 17, 18, 19] },
  { name: 'maestro', prefixes: ['50', ...range(56, 69)], lengths: [13, 14, 15, 16, 17, 18, 19] },
];

/** Completes a prefix + body with the Luhn check digit. */
export function withCheckDigit(partial: string): string {
  for (let d = 0; d <= 9; d += 1) if (luhnValid(partial + d)) return partial + d;
  throw new Error('unreachable');
}

export const cardNumber = fc
  .constantFrom(...BRANDS)
  .chain((brand) => fc.tuple(fc.constantFrom(...brand.prefixes), fc.constantFrom(...brand.lengths)))
  .chain(([prefix, length]) =>
    fc
      .array(fc.integer({ min: 0, max: 9 }), {
        minLength: length - prefix.length - 1,
        maxLength: length - prefix.length - 1,
      })
      .map((body) => withCheckDigit(prefix + body.join(''))),
  );

/** The ways people type a number: plain, in groups of four (or Amex 4-6-5) with each separator style. */
export const separated = (digits: string) =>
  fc.tuple(fc.constantFrom('', ' ', '-', '.', '\u00a0'), fc.boolean()).map(([sep, amexStyle]) => {
    if (sep === '') return digits;
    const sizes =
      amexStyle && digits.length === 15 ? [4, 6, 5] : (Array(5).fill(4).concat([4]) as number[]);
    const groups: string[] = [];
    let at = 0;
    for (const size of sizes) {
      if (at >= digits.length) break;
      groups.push(digits.slice(at, at + size));
      at += size;
    }
    if (at < digits.length) groups.push(digits.slice(at));
    return groups.join(sep);
  });

// Text around a number: words and punctuation, never a digit glued to it.
export const words = fc
  .array(
    fc.constantFrom(
      'my',
      'card',
      'is',
      'please',
      'charge',
      'thanks',
      '!',
      '?',
      ',',
      'número',
      '🙂',
      ':',
    ),
    { maxLength: 6 },
  )
  .map((w) => w.join(' '));
