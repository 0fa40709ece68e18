import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cardNumber, separated, withCheckDigit, words } from './cardGenerators.ts';
import {
  luhnValid,
  maskCardNumbers,
  MASK_CHAR,
  REMOVED,
  showsMaskedNumber,
} from '../../app/shared/cardNumbers.ts';

describe('card number masking (property)', () => {
  it('masks every generated card number of each brand, with every separator, in random text', () => {
    fc.assert(
      fc.property(
        cardNumber.chain((digits) => fc.tuple(fc.constant(digits), separated(digits))),
        words,
        words,
        fc.constantFrom<'first6_last4' | 'last4'>('first6_last4', 'last4'),
        ([digits, typed], before, after, keep) => {
          const text = `${before} ${typed} ${after}`;
          const { text: out, masked } = maskCardNumbers(text, { mask: true, keep });
          expect(masked).toBe(1);
          expect(out.replace(/[^\d•]/g, '')).not.toContain(digits);
          expect(out.replace(/\D/g, '')).not.toContain(digits);
          const visible = out.replace(/[^0-9]/g, '').length;
          expect(visible).toBeLessThanOrEqual(keep === 'last4' ? 4 : 10);
          expect(out).toContain(MASK_CHAR);
          expect(showsMaskedNumber(out)).toBe(true);
          expect(out.startsWith(before)).toBe(true);
          expect(out.endsWith(after)).toBe(true);
          // Masking twice changes nothing more.
          expect(maskCardNumbers(out, { mask: true, keep }).text).toBe(out);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never alters digit strings that are not card numbers (wrong Luhn, unknown issuer, too short)', () => {
    const notCard = fc.oneof(
      // 13–19 digits that fail the Luhn check
      fc.stringMatching(/^[2-6]\d{12,18}$/).filter((d) => !luhnValid(d)),
      // Luhn-valid numbers with no issuer prefix
      fc.stringMatching(/^[0179]\d{11,17}$/).map((d) => withCheckDigit(d)),
      // phone numbers, dates, order numbers: at most 12 digits however they are separated
      fc
        .array(fc.stringMatching(/^\d{1,4}$/), { minLength: 1, maxLength: 3 })
        .chain((groups) => fc.constantFrom(' ', '-', '.', '/').map((sep) => groups.join(sep))),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      fc.stringMatching(/^\+\d{1,3} \d{3} \d{3} \d{4}$/),
    );
    fc.assert(
      fc.property(notCard, words, words, (digits, before, after) => {
        const text = `${before} ${digits} ${after}`;
        const result = maskCardNumbers(text);
        expect(result.text).toBe(text);
        expect(result.masked + result.removed).toBe(0);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('card number masking (examples)', () => {
  it.each([
    ['4111 1111 1111 1111', '4111 11•• •••• 1111'],
    ['5555-5555-5555-4444', '5555-55••-••••-4444'],
    ['3782 822463 10005', '3782 82•••• •0005'],
    ['6011.1111.1111.1117', '6011.11••.••••.1117'],
    ['4111111111111111', '411111••••••1111'],
  ])('masks %s', (typed, expected) => {
    expect(maskCardNumbers(`pay with ${typed} please`).text).toBe(`pay with ${expected} please`);
  });

  it('keeps only the last four when the department asks for it', () => {
    expect(maskCardNumbers('4111 1111 1111 1111', { mask: true, keep: 'last4' }).text).toBe(
      '•••• •••• •••• 1111',
    );
  });

  it('leaves numbers as typed when masking is off, but still removes the security code', () => {
    expect(
      maskCardNumbers('4111 1111 1111 1111 cvv 123', { mask: false, keep: 'last4' }).text,
    ).toBe(`4111 1111 1111 1111 cvv ${REMOVED}`);
  });

  it.each([
    ['4111 1111 1111 1111 123', `4111 11•• •••• 1111 ${REMOVED}`],
    ['4111111111111111, 12/27, 123', `411111••••••1111, 12/27, ${REMOVED}`],
    [
      'card 5555555555554444 exp 01/2029 cvc: 9876',
      `card 555555••••••4444 exp 01/2029 cvc: ${REMOVED}`,
    ],
    ['my CVV is 321', `my CVV is ${REMOVED}`],
  ])('removes a security code next to a number: %s', (typed, expected) => {
    expect(maskCardNumbers(typed).text).toBe(expected);
  });

  it('removes track data entirely', () => {
    const track1 = '%B4111111111111111^DOE/JOHN^2712101000000000000?';
    const track2 = ';4111111111111111=27121010000000000?';
    const out = maskCardNumbers(`swipe ${track1} and ${track2}`);
    expect(out.text).toBe(`swipe ${REMOVED} and ${REMOVED}`);
    expect(out.removed).toBe(2);
  });

  it('leaves order numbers, phone numbers and dates alone', () => {
    const text = 'order 1234567890123, call +44 20 7946 0958 on 2026-11-22 or 11/22/2026';
    expect(maskCardNumbers(text).text).toBe(text);
  });
});
