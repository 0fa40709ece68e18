import { randomBytes } from 'node:crypto';
import { keyedHash } from '../signin/keys.ts';

// Recovery codes: 10 characters of Crockford base32 (50 random bits), shown as `xxxxx-xxxxx`.
// Random and long enough that a keyed hash suffices; argon2 would add nothing but cost.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RECOVERY_CODE_COUNT = 10;

export function generateRecoveryCode(): string {
  const bytes = randomBytes(10);
  let code = '';
  for (const byte of bytes) code += ALPHABET[byte & 31];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** What a person typed, as stored: lower case, no separators, look-alike letters read as digits. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return /^[0-9a-hjkmnp-tv-z]{10}$/.test(code) ? code : null;
}

export const hashRecoveryCode = (key: Buffer, agentId: number, normalized: string) =>
  keyedHash(key, `${agentId}:${normalized}`);
