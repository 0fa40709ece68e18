import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export function passwordHasher(params: Argon2Params) {
  const options = { type: argon2.argon2id as 2, ...params };
  // Verified against when an account does not exist, so timing does not tell that it doesn't.
  const decoy = argon2.hash(randomBytes(32).toString('hex'), options);
  return {
    hash: (password: string) => argon2.hash(password, options),
    async verify(hash: string | undefined, password: string): Promise<boolean> {
      try {
        const valid = await argon2.verify(hash ?? (await decoy), password);
        return hash !== undefined && valid;
      } catch {
        return false;
      }
    },
    needsRehash: (hash: string) => argon2.needsRehash(hash, options),
  };
}

export type PasswordHasher = ReturnType<typeof passwordHasher>;

/** A password for a new account, printed once: 24 characters from an unambiguous alphabet. */
export function generatePassword(length = 24): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (const byte of bytes) {
    if (byte >= 256 - (256 % alphabet.length)) continue; // no modulo bias
    out += alphabet[byte % alphabet.length];
    if (out.length === length) break;
  }
  return out.length === length ? out : generatePassword(length);
}
