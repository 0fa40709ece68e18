// Card-number detection and masking, pure (no I/O): the server applies it before anything is stored,
// broadcast or logged, and the widget applies it before sending (defence in depth).

/** What may stay visible of a masked number (PCI DSS 3.4.1 allows at most the first six and last four). */
export type MaskKeep = 'first6_last4' | 'last4';

export interface MaskOptions {
  /** false: card numbers are kept as typed (an admin's choice per department); SAD is removed regardless. */
  mask: boolean;
  keep: MaskKeep;
}

export interface MaskResult {
  text: string;
  /** How many card numbers were masked. */
  masked: number;
  /** How many pieces of sensitive authentication data (CVC, track data) were removed. */
  removed: number;
}

export const DEFAULT_MASKING: MaskOptions = { mask: true, keep: 'first6_last4' };
/** Stands for a hidden digit; the UI recognises it to show that a number was masked. */
export const MASK_CHAR = '•';
export const REMOVED = '[removed]';

/** The Luhn (mod 10) check over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

const between = (value: number, low: number, high: number) => value >= low && value <= high;

/** Whether the digits start with a prefix some card issuer uses (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
export function knownIssuer(digits: string): boolean {
  const p = (n: number) => Number(digits.slice(0, n));
  return (
    digits.startsWith('4') ||
    between(p(2), 51, 55) ||
    between(p(4), 2221, 2720) ||
    p(2) === 34 ||
    p(2) === 37 ||
    between(p(3), 300, 305) ||
    [36, 38, 39].includes(p(2)) ||
    between(p(4), 3528, 3589) ||
    p(4) === 6011 ||
    between(p(3), 644, 649) ||
    p(2) === 65 ||
    p(2) === 62 ||
    p(2) === 50 ||
    between(p(2), 56, 69)
  );
}

/** A card number: 13 to 19 digits, a known issuer prefix, and the Luhn check. */
export function isCardNumber(digits: string): boolean {
  return /^\d{13,19}$/.test(digits) && knownIssuer(digits) && luhnValid(digits);
}

// Digit groups joined by single separators (space, no-break space, dash, dot).
const CHAIN = /\d+(?:[ \u00a0.-]\d+)*/g;
// Track 1 (%B…^NAME^…?) and track 2 (;PAN=…?) data, with or without sentinels.
const TRACK = /%?B\d{13,19}\^[^^\n]{0,26}\^\d{4,}[^?\s]*\??|;?\d{13,19}=\d{4,}[^?\s]*\??/g;
// A labelled security code anywhere: "CVV 123", "cvc2: 1234", "security code 123".
const LABELLED_CODE =
  /\b(cvv2?|cvc2?|cid|csc|security code)(\s*(?:is|:|=|#|-)?\s*)(\d{3,4})(?!\d)/gi;
// Right after a card number: an optional expiry, an optional label, then a 3–4 digit code.
const TRAILING_CODE =
  /^(\s*[,;/|:-]?\s*(?:(?:exp(?:iry|ires)?\.?:?\s*)?(?:0[1-9]|1[0-2])\s*[/-]\s*(?:\d{4}|\d{2})(?!\d))?\s*[,;/|:-]?\s*(?:(?:cvv2?|cvc2?|cid|csc|code)\s*:?\s*)?)(\d{3,4})(?!\d)/i;

function maskDigits(groups: string[], keep: MaskKeep): string {
  const total = groups.join('').replace(/\D/g, '').length;
  const head = keep === 'first6_last4' ? 6 : 0;
  let seen = 0;
  return groups.join('').replace(/\d/g, (d) => {
    seen += 1;
    return seen <= head || seen > total - 4 ? d : MASK_CHAR;
  });
}

interface Found {
  start: number;
  end: number;
}

/** Card numbers inside one chain of digit groups: the longest valid run of whole groups from each start. */
function cardsInChain(chain: string): Found[] {
  const parts = chain.split(/([ \u00a0.-])/); // groups at even indexes, separators at odd
  const groups: { text: string; start: number }[] = [];
  let offset = 0;
  for (let i = 0; i < parts.length; i += 1) {
    if (i % 2 === 0) groups.push({ text: parts[i]!, start: offset });
    offset += parts[i]!.length;
  }
  const found: Found[] = [];
  let i = 0;
  while (i < groups.length) {
    let best = -1;
    let digits = '';
    for (let j = i; j < groups.length && digits.length < 19; j += 1) {
      digits += groups[j]!.text;
      if (isCardNumber(digits)) best = j;
    }
    if (best < 0) {
      i += 1;
      continue;
    }
    const last = groups[best]!;
    found.push({ start: groups[i]!.start, end: last.start + last.text.length });
    i = best + 1;
  }
  return found;
}

/**
 * Masks every card number in a text (keeping at most the first six and last four digits) and removes
 * sensitive authentication data: track data, labelled security codes, and a code right after a number.
 */
export function maskCardNumbers(text: string, options: MaskOptions = DEFAULT_MASKING): MaskResult {
  let removed = 0;
  let masked = 0;
  let out = text.replace(TRACK, (match) => {
    const pan = /\d{13,19}/.exec(match)?.[0] ?? '';
    if (!isCardNumber(pan)) return match;
    removed += 1;
    return REMOVED;
  });
  let result = '';
  let last = 0;
  for (const chain of out.matchAll(CHAIN)) {
    const base = chain.index;
    if (out[base - 1] === '+') continue; // "+44 …": a phone number in international form
    for (const card of cardsInChain(chain[0])) {
      const start = base + card.start;
      const end = base + card.end;
      if (start < last) continue;
      const number = out.slice(start, end);
      result += out.slice(last, start);
      if (options.mask) {
        result += maskDigits([number], options.keep);
        masked += 1;
      } else result += number;
      last = end;
      const code = TRAILING_CODE.exec(out.slice(end));
      if (code) {
        result += code[1];
        result += REMOVED;
        removed += 1;
        last = end + code[0].length;
      }
    }
  }
  out = result + out.slice(last);
  out = out.replace(LABELLED_CODE, (_match, label: string, gap: string) => {
    removed += 1;
    return `${label}${gap}${REMOVED}`;
  });
  return { text: out, masked, removed };
}

/** Whether a text shows a number this module masked (for the UI's "masked" hint). */
export function showsMaskedNumber(text: string): boolean {
  return new RegExp(`${MASK_CHAR}(?:[ \\u00a0.-]?${MASK_CHAR}){2,}`).test(text);
}
