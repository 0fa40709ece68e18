import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCardNumber, maskCardNumbers, PHONE_MAX_DIGITS } from '../../app/shared/cardNumbers.ts';
import { cardNumber, separated, words } from './cardGenerators.ts';

// Issue 12: the rule that tells a card number from a phone number in international form, and the
// cases the earlier rule let through ("+4111…", a card right after a phone number).

const SEPARATORS = [' ', '-', '.', '\u00a0'];

/** Any grouping at all: groups of 1–6 digits, each gap with its own separator (or none). */
const anyGrouping = (digits: string) =>
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('', ...SEPARATORS)), {
      minLength: 19,
      maxLength: 19,
    })
    .map((cuts) => {
      let out = '';
      let at = 0;
      for (const [size, sep] of cuts) {
        if (at >= digits.length) break;
        out += digits.slice(at, at + size);
        at += size;
        if (at < digits.length) out += sep;
      }
      return out;
    });

/** A character a card number may follow: anything but a digit (which would make it another number). */
const prefixChar = fc.oneof(
  fc.constantFrom('+', '#', '=', '/', ':', '(', '"', "'", '€', '$', '*', '_', '~', '@', '<', 'x'),
  fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }).filter((c) => !/\d/.test(c)),
);

const digitsOf = (text: string) => text.replace(/\D/g, '');

/** A phone number in international form: country code and national number, as people write it. */
const phone = (
  maxDigits: number,
  styles = ['compact', 'spaces', 'dashes', 'dots', 'trunk', 'parens'],
) =>
  fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom(...styles))
    .chain(([countryLength, style]) =>
      fc
        .tuple(
          fc.stringMatching(new RegExp(`^[1-9]\\d{${countryLength - 1}}$`)),
          fc.integer({ min: 4, max: maxDigits - countryLength }),
          fc.constant(style),
        )
        .chain(([country, length]) =>
          fc
            .stringMatching(new RegExp(`^[1-9]\\d{${length - 1}}$`))
            .map((national) => written(country, national, style)),
        ),
    );

function written(country: string, national: string, style: string): string {
  const groups = national.match(/.{1,3}/g)!;
  switch (style) {
    case 'compact':
      return `+${country}${national}`;
    case 'spaces':
      return `+${country} ${groups.join(' ')}`;
    case 'dashes':
      return `+${country}-${groups.join('-')}`;
    case 'dots':
      return `+${country}.${groups.join('.')}`;
    case 'trunk':
      return `+${country} (0) ${groups.join(' ')}`;
    default:
      return `+${country} (${groups[0]}) ${groups.slice(1).join(' ')}`;
  }
}

/** Whether some run of whole groups, past the first 14 digits, is a card number. */
function holdsCard(groups: string[]): boolean {
  for (let i = 0; i < groups.length; i += 1) {
    for (let j = i; j < groups.length; j += 1) {
      const run = groups.slice(i, j + 1).join('');
      const reach = groups.slice(0, j + 1).join('').length;
      if (reach > PHONE_MAX_DIGITS && isCardNumber(run)) return true;
    }
  }
  return false;
}

describe('the masking rule (issue 12)', () => {
  it('masks every card number of every brand after any character, "+" included', () => {
    fc.assert(
      fc.property(
        cardNumber.chain((digits) => fc.tuple(fc.constant(digits), separated(digits))),
        prefixChar,
        words,
        ([digits, typed], prefix, after) => {
          const text = `${prefix}${typed} ${after}`;
          const { text: out, masked } = maskCardNumbers(text);
          // The one documented exception: up to 14 digits right after "+" read as a phone number.
          if (prefix === '+' && digits.length <= PHONE_MAX_DIGITS) return;
          expect(masked).toBeGreaterThanOrEqual(1);
          expect(digitsOf(out)).not.toContain(digits);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('masks card numbers however the groups are cut and separated', () => {
    fc.assert(
      fc.property(
        cardNumber.chain((digits) => fc.tuple(fc.constant(digits), anyGrouping(digits))),
        words,
        fc.constantFrom('', '+'),
        ([digits, typed], before, plus) => {
          const out = maskCardNumbers(`${before} ${plus}${typed}`).text;
          const shortAfterPlus = plus === '+' && digits.length <= PHONE_MAX_DIGITS;
          if (!shortAfterPlus) expect(digitsOf(out)).not.toContain(digits);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never lets a Luhn-valid 15–19 digit number through after "+"', () => {
    fc.assert(
      fc.property(
        cardNumber.filter((digits) => digits.length >= 15),
        fc.constantFrom('', ' ', '-', '.'),
        (digits, sep) => {
          const typed = `+${sep === '' ? digits : digits.match(/.{1,4}/g)!.join(sep)}`;
          expect(digitsOf(maskCardNumbers(`call ${typed} now`).text)).not.toContain(digits);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves phone numbers in every international form alone (up to 14 digits)', () => {
    fc.assert(
      fc.property(phone(PHONE_MAX_DIGITS), words, words, (typed, before, after) => {
        const text = `${before} ${typed} ${after}`;
        const result = maskCardNumbers(text);
        expect(result.text).toBe(text);
        expect(result.masked + result.removed).toBe(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves a 15-digit phone number alone unless it holds a card number', () => {
    fc.assert(
      fc.property(
        phone(15, ['compact', 'spaces', 'dashes', 'dots']).filter((p) => digitsOf(p).length === 15),
        (typed) => {
          const changed = maskCardNumbers(`tel ${typed}`).text !== `tel ${typed}`;
          expect(changed).toBe(holdsCard(typed.slice(1).split(/[ .-]/)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('masks a card typed right after a phone number, or right after another card', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          phone(PHONE_MAX_DIGITS),
          cardNumber.map((d) => d.match(/.{1,4}/g)!.join(' ')),
        ),
        cardNumber,
        fc.constantFrom(' ', '-', '.'),
        (first, digits, sep) => {
          const typed = digits.match(/.{1,4}/g)!.join(sep);
          const out = maskCardNumbers(`${first} ${typed}`).text;
          expect(digitsOf(out)).not.toContain(digits);
          if (!first.startsWith('+')) expect(digitsOf(out)).not.toContain(digitsOf(first));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: masking a masked text changes nothing more', () => {
    const piece = fc.oneof(
      cardNumber.chain(separated),
      fc.stringMatching(/^\d{1,6}$/),
      fc.constantFrom(' ', '-', '.', '+', 'cvv ', '12/29 ', 'x', '\u00a0'),
      phone(15),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const once = maskCardNumbers(pieces.join('')).text;
        expect(maskCardNumbers(once).text).toBe(once);
        expect(maskCardNumbers(once).masked).toBe(0);
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['+4111111111111111', '+411111••••••1111'],
    ['+44 20 7946 0958 then 4111 1111 1111 1111', '+44 20 7946 0958 then 4111 11•• •••• 1111'],
    ['+44 20 7946 0958 4111 1111 1111 1111', '+44 20 7946 0958 4111 11•• •••• 1111'],
    ['4111 1111 1111 1111 5555 5555 5555 4444', '4111 11•• •••• 1111 5555 55•• •••• 4444'],
  ])('masks %s', (typed, expected) => {
    expect(maskCardNumbers(typed).text).toBe(expected);
  });
});
