import { isCardNumber, maskCardNumbers, type MaskOptions } from './cardNumbers.ts';

// Masking inside structured values (JSON documents, audit details): every string and every key,
// and numbers whose digits are a card number (a JSON number cannot hold the mask character, so
// such a number becomes its masked text).

/** The value with every card number in it masked; the same value (===) when nothing changed. */
export function maskDeep(value: unknown, options?: MaskOptions): unknown {
  if (typeof value === 'string') return maskCardNumbers(value, options).text;
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value);
    return /^\d{13,19}$/.test(digits) && isCardNumber(digits)
      ? maskCardNumbers(digits, options).text
      : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date || value instanceof Uint8Array) return value; // Buffers: binary, opaque
  if (Array.isArray(value)) {
    const items = value.map((item) => maskDeep(item, options));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  let changed = false;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => {
    const maskedKey = maskCardNumbers(key, options).text;
    const maskedItem = maskDeep(item, options);
    if (maskedKey !== key || maskedItem !== item) changed = true;
    return [maskedKey, maskedItem] as const;
  });
  return changed ? Object.fromEntries(entries) : value;
}

/** Whether a value holds a card number (or security data) anywhere that masking would change. */
export function holdsCardData(value: unknown): boolean {
  return maskDeep(value) !== value;
}
