// Solves Parley's proof-of-work CAPTCHA (ALTCHA v2, SHA-256) with WebCrypto, in the page itself:
// no widget, no worker from a blob, no inline style, so it runs under the console's strict CSP.

export interface CaptchaChallenge {
  parameters: {
    algorithm: string;
    nonce: string;
    salt: string;
    cost: number;
    keyLength: number;
    keyPrefix: string;
    keySignature?: string;
    expiresAt?: number;
  };
  signature: string;
}

export interface CaptchaPayload {
  challenge: CaptchaChallenge;
  solution: { counter: number; derivedKey: string };
}

const BATCH = 256;
const TIMEOUT_MS = 120_000;

const fromHex = (hex: string): Uint8Array =>
  Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

async function deriveKey(salt: Uint8Array, nonce: Uint8Array, counter: number, cost: number) {
  const data = new Uint8Array(salt.length + nonce.length + 4);
  data.set(salt, 0);
  data.set(nonce, salt.length);
  new DataView(data.buffer).setUint32(salt.length + nonce.length, counter, false);
  let key = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  for (let round = 1; round < cost; round += 1) {
    key = new Uint8Array(await crypto.subtle.digest('SHA-256', key));
  }
  return key;
}

const startsWith = (key: Uint8Array, prefix: Uint8Array) =>
  prefix.every((byte, index) => key[index] === byte);

/**
 * Finds the counter whose hash starts with the challenge's prefix, hashing counters from 0 in
 * batches. `onProgress` gets the share of `maxNumber` searched so far (0 to 1).
 */
export async function solveCaptcha(
  challenge: CaptchaChallenge,
  maxNumber: number,
  onProgress: (share: number) => void = () => undefined,
  signal?: AbortSignal,
): Promise<CaptchaPayload> {
  const { parameters } = challenge;
  if (parameters.algorithm !== 'SHA-256' || parameters.keyPrefix.length % 2 !== 0) {
    throw new Error('This human check is not supported by this console.');
  }
  const salt = fromHex(parameters.salt);
  const nonce = fromHex(parameters.nonce);
  const prefix = fromHex(parameters.keyPrefix);
  const started = Date.now();
  for (let start = 0; start <= 0xffffffff; start += BATCH) {
    if (signal?.aborted) throw new Error('The human check was cancelled.');
    if (Date.now() - started > TIMEOUT_MS) throw new Error('The human check took too long.');
    const counters = Array.from({ length: BATCH }, (_, index) => start + index);
    const keys = await Promise.all(
      counters.map((counter) => deriveKey(salt, nonce, counter, parameters.cost)),
    );
    const found = keys.findIndex((key) => startsWith(key, prefix));
    if (found >= 0) {
      onProgress(1);
      const derivedKey = keys[found]!.subarray(0, parameters.keyLength);
      return { challenge, solution: { counter: counters[found]!, derivedKey: toHex(derivedKey) } };
    }
    onProgress(Math.min(0.99, (start + BATCH) / maxNumber));
  }
  throw new Error('The human check could not be solved.');
}
