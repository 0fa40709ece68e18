// Solves Parley's proof-of-work CAPTCHA (ALTCHA v2, SHA-256) in the page itself: no widget, no
// worker from a blob, no inline style, so it runs under the console's strict CSP. It hashes with a
// synchronous SHA-256 (./sha256.ts), in slices of about 50 ms between which the page stays live.

import { digestBytes, hashPadded, padMessage } from './sha256.ts';

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
    /** The work the server asked for, signed with the rest. */
    data?: { maxNumber: number };
  };
  signature: string;
}

export interface CaptchaPayload {
  challenge: CaptchaChallenge;
  solution: { counter: number; derivedKey: string };
}

const SLICE_MS = 50;
const TIMEOUT_MS = 120_000;
const LAST_COUNTER = 0xffffffff;

const fromHex = (hex: string): Uint8Array =>
  Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

/** Whether the digest in `state` starts with `prefix`, compared byte by byte. */
function startsWith(state: Int32Array, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i += 1) {
    if (((state[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff) !== prefix[i]) return false;
  }
  return true;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Finds the counter whose key (SHA-256 of salt, nonce and the counter as 4 big-endian bytes,
 * hashed again `cost - 1` times) starts with the challenge's prefix, trying counters from 0.
 * `onProgress` gets the share of `maxNumber` searched so far (0 to 1).
 */
export async function solveCaptcha(
  challenge: CaptchaChallenge,
  maxNumber: number,
  onProgress: (share: number) => void = () => undefined,
  signal?: AbortSignal,
): Promise<CaptchaPayload> {
  const { parameters } = challenge;
  const prefix = fromHex(parameters.keyPrefix);
  if (
    parameters.algorithm !== 'SHA-256' ||
    parameters.keyPrefix.length % 2 !== 0 ||
    prefix.length === 0 ||
    prefix.length > 32
  ) {
    throw new Error('This human check is not supported by this console.');
  }
  const salt = fromHex(parameters.salt);
  const nonce = fromHex(parameters.nonce);
  const input = new Uint8Array(salt.length + nonce.length + 4);
  input.set(salt, 0);
  input.set(nonce, salt.length);
  const first = padMessage(input);
  const counterAt = salt.length + nonce.length;
  const again = padMessage(new Uint8Array(32));
  const state = new Int32Array(8);
  const started = performance.now();
  let counter = 0;
  while (counter <= LAST_COUNTER) {
    if (signal?.aborted) throw new Error('The human check was cancelled.');
    if (performance.now() - started > TIMEOUT_MS) throw new Error('The human check took too long.');
    const sliceEnds = performance.now() + SLICE_MS;
    do {
      const last = Math.min(counter + 4095, LAST_COUNTER);
      for (; counter <= last; counter += 1) {
        first.view.setUint32(counterAt, counter, false);
        hashPadded(first, state);
        for (let round = 1; round < parameters.cost; round += 1) {
          for (let i = 0; i < 8; i += 1) again.view.setInt32(i * 4, state[i]!, false);
          hashPadded(again, state);
        }
        if (startsWith(state, prefix)) {
          onProgress(1);
          const derivedKey = digestBytes(state).subarray(0, parameters.keyLength);
          return { challenge, solution: { counter, derivedKey: toHex(derivedKey) } };
        }
      }
    } while (counter <= LAST_COUNTER && performance.now() < sliceEnds);
    onProgress(Math.min(0.99, counter / maxNumber));
    await nextTask(); // let the page paint the progress and stay responsive
  }
  throw new Error('The human check could not be solved.');
}
