import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from '../signin/keys.ts';

// TOTP secrets at rest: AES-256-GCM under a key derived from the secret key file. The agent id is
// bound in as associated data, so a secret copied to another agent's row does not decrypt.
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function secretBox(secretKey: Buffer) {
  const key = deriveKey(secretKey, 'totp secret encryption v1');
  const aad = (agentId: number) => Buffer.from(`parley agent_totp ${agentId}`, 'utf8');
  return {
    seal(agentId: number, plain: Uint8Array): Buffer {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(agentId));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
    },
    /** The plain secret, or null when the box was altered or sealed under another key. */
    open(agentId: number, sealed: Buffer): Buffer | null {
      if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) return null;
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aad(agentId));
        decipher.setAuthTag(tag);
        return Buffer.concat([
          decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        return null;
      }
    },
  };
}

export type SecretBox = ReturnType<typeof secretBox>;
