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

/**
 * The longest phone number in international form that a run right after "+" is read as. E.164
 * allows 15 digits; the 15th goes to cards, so no Luhn-valid 15–19 digit run ever passes as a phone
 * (a 15-digit phone number that happens to pass Luhn with an issuer prefix is masked: a false
 * positive costs less than a leaked card number). See app/domain/masking/README.md.
 */
export const PHONE_MAX_DIGITS = 14;

// "+44 (0) 20 …", "+1 (555) 123-4567": a country code and a bracketed part before the chain.
const BRACKETED_LEAD = /\+(\d{1,4})?[ \u00a0.-]?\((\d{1,5})\)[ \u00a0.-]?$/;

/**
 * Whether the chain starting at `base` continues a phone number in international form, and how many
 * of its digits came before the chain (a trunk "(0)" is not dialled from abroad, so not counted).
 */
function phoneLead(text: string, base: number): number | null {
  if (text[base - 1] === '+') return 0;
  const lead = BRACKETED_LEAD.exec(text.slice(Math.max(0, base - 16), base));
  if (!lead) return null;
  return (lead[1]?.length ?? 0) + (lead[2] === '0' ? 0 : lead[2]!.length);
}

interface Found {
  start: number;
  end: number;
}

/**
 * Every card number inside one chain of digit groups, overlaps included: each run of whole groups
 * that passes. Reporting all of them (not the longest from each start) means a false positive that
 * overlaps a real number can never leave that number's digits showing.
 */
function cardsInChain(chain: string, phoneDigits: number | null): Found[] {
  const parts = chain.split(/([ \u00a0.-])/); // groups at even indexes, separators at odd
  const groups: { text: string; start: number }[] = [];
  let offset = 0;
  for (let i = 0; i < parts.length; i += 1) {
    if (i % 2 === 0) groups.push({ text: parts[i]!, start: offset });
    offset += parts[i]!.length;
  }
  // After "+": the leading groups that fit in PHONE_MAX_DIGITS are the phone number.
  let phoneGroups = 0;
  for (
    let digits = phoneDigits ?? 0;
    phoneDigits !== null && phoneGroups < groups.length;
    phoneGroups += 1
  ) {
    digits += groups[phoneGroups]!.text.length;
    if (digits > PHONE_MAX_DIGITS) break;
  }
  const found: Found[] = [];
  for (let i = 0; i < groups.length; i += 1) {
    let digits = '';
    for (let j = i; j < groups.length && digits.length < 19; j += 1) {
      digits += groups[j]!.text;
      if (j < phoneGroups || !isCardNumber(digits)) continue; // "+44 20 7946 0958"
      found.push({ start: groups[i]!.start, end: groups[j]!.start + groups[j]!.text.length });
    }
  }
  return found;
}

/** Positions of the digits a masked number hides: all but the first six (unless last4) and last four. */
function hiddenDigits(text: string, card: Found, keep: MaskKeep, into: Set<number>): void {
  const positions: number[] = [];
  for (let at = card.start; at < card.end; at += 1) {
    const code = text.charCodeAt(at);
    if (code >= 48 && code <= 57) positions.push(at);
  }
  const head = keep === 'first6_last4' ? 6 : 0;
  for (let k = head; k < positions.length - 4; k += 1) into.add(positions[k]!);
}

/**
 * Masks every card number in a text (keeping at most the first six and last four digits) and removes
 * sensitive authentication data: track data, labelled security codes, and a code right after a number.
 * A number is 13–19 digits in whole groups, a known issuer prefix and the Luhn check, whatever
 * character precedes it; only right after "+" is a run of at most PHONE_MAX_DIGITS read as a phone.
 */
export function maskCardNumbers(text: string, options: MaskOptions = DEFAULT_MASKING): MaskResult {
  // The digits a pass leaves visible can start a number with what follows them ("…5702.0000.0000.006"
  // after a masked run): passes repeat until one changes nothing, so the result is a fixed point.
  const total: MaskResult = { text, masked: 0, removed: 0 };
  for (let pass = 0; pass < 20; pass += 1) {
    const next = maskOnce(total.text, options);
    if (next.text === total.text) break;
    total.text = next.text;
    total.masked += next.masked;
    total.removed += next.removed;
  }
  return total;
}

function maskOnce(text: string, options: MaskOptions): MaskResult {
  let removed = 0;
  const out = text.replace(TRACK, (match) => {
    const pan = /\d{13,19}/.exec(match)?.[0] ?? '';
    if (!isCardNumber(pan)) return match;
    removed += 1;
    return REMOVED;
  });
  const cards: Found[] = [];
  for (const chain of out.matchAll(CHAIN)) {
    const base = chain.index;
    for (const card of cardsInChain(chain[0], phoneLead(out, base))) {
      cards.push({ start: base + card.start, end: base + card.end });
    }
  }
  const hidden = new Set<number>();
  const codes: Found[] = [];
  for (const card of cards) {
    if (options.mask) hiddenDigits(out, card, options.keep, hidden);
    const code = TRAILING_CODE.exec(out.slice(card.end));
    const start = card.end + (code?.[1]!.length ?? 0);
    // Not a code when those digits begin another card number ("4111 … 1111 5555 5555 …").
    if (code && !cards.some((other) => other.start === start)) {
      codes.push({ start, end: start + code[2]!.length });
    }
  }
  // Overlapping numbers count once, as one masked number.
  let masked = 0;
  let reach = -1;
  for (const card of [...cards].sort((a, b) => a.start - b.start)) {
    if (options.mask && card.start >= reach) masked += 1;
    reach = Math.max(reach, card.end);
  }
  let result = '';
  let at = 0;
  for (const code of codes.sort((a, b) => a.start - b.start)) {
    if (code.start < at) continue;
    result += hide(out, at, code.start, hidden) + REMOVED;
    removed += 1;
    at = code.end;
  }
  result += hide(out, at, out.length, hidden);
  result = result.replace(LABELLED_CODE, (_match, label: string, gap: string) => {
    removed += 1;
    return `${label}${gap}${REMOVED}`;
  });
  return { text: result, masked, removed };
}

function hide(text: string, from: number, to: number, hidden: Set<number>): string {
  if (hidden.size === 0) return text.slice(from, to);
  let piece = '';
  for (let at = from; at < to; at += 1) piece += hidden.has(at) ? MASK_CHAR : text[at];
  return piece;
}

/** Whether a text shows a number this module masked (for the UI's "masked" hint). */
export function showsMaskedNumber(text: string): boolean {
  return new RegExp(`${MASK_CHAR}(?:[ \\u00a0.-]?${MASK_CHAR}){2,}`).test(text);
}
