import { createHmac, hkdfSync } from 'node:crypto';

// Every key the sign-in defences and two-factor use is derived from the one secret key file
// (HKDF-SHA-256, one `info` label per purpose), so no purpose's key can stand in for another's.
export type KeyPurpose =
  | 'signin email hash v1'
  | 'captcha signature v1'
  | 'captcha key signature v1'
  | 'signin device cookie v1'
  | 'totp secret encryption v1'
  | 'totp recovery code hash v1';

export function deriveKey(secretKey: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), purpose, 32));
}

/** A keyed hash: the same input always gives the same 32 bytes, which say nothing without the key. */
export function keyedHash(key: Buffer, value: string): Buffer {
  return createHmac('sha256', key).update(value, 'utf8').digest();
}
