// SHA-256 (FIPS 180-4) in plain TypeScript, for the sign-in CAPTCHA's proof of work only: it hashes
// nothing secret, and the server checks every answer with node:crypto. Why not WebCrypto: each
// `crypto.subtle.digest` call is a promise with a thread hop, about 35 times slower in Chromium
// for these 36-byte messages than a synchronous loop; a slow console would make the CAPTCHA cost
// a person far more than the script it is meant to slow down. Tested against node:crypto.

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Int32Array(64);

/** A message padded to whole 64-byte blocks, whose bytes can be changed in place between hashes. */
export interface PaddedMessage {
  bytes: Uint8Array;
  view: DataView;
  /** The blocks as big-endian words, refreshed from `bytes` by `hashPadded`. */
  words: Int32Array;
}

export function padMessage(message: Uint8Array): PaddedMessage {
  const blocks = Math.ceil((message.length + 9) / 64);
  const bytes = new Uint8Array(blocks * 64);
  bytes.set(message);
  bytes[message.length] = 0x80;
  const view = new DataView(bytes.buffer);
  // The length in bits; messages here are far below 2^32 bits.
  view.setUint32(bytes.length - 4, message.length * 8, false);
  return { bytes, view, words: new Int32Array(blocks * 16) };
}

/** Hashes `words` (whole blocks) into `state` (8 words). */
export function compress(words: Int32Array, state: Int32Array): void {
  state.set(INITIAL);
  for (let offset = 0; offset < words.length; offset += 16) {
    for (let i = 0; i < 16; i += 1) W[i] = words[offset + i]!;
    for (let i = 16; i < 64; i += 1) {
      const a = W[i - 15]!;
      const b = W[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (s0 + W[i - 7]! + s1 + W[i - 16]!) | 0;
    }
    let a = state[0]!;
    let b = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    let e = state[4]!;
    let f = state[5]!;
    let g = state[6]!;
    let h = state[7]!;
    for (let i = 0; i < 64; i += 1) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    state[0] = (state[0]! + a) | 0;
    state[1] = (state[1]! + b) | 0;
    state[2] = (state[2]! + c) | 0;
    state[3] = (state[3]! + d) | 0;
    state[4] = (state[4]! + e) | 0;
    state[5] = (state[5]! + f) | 0;
    state[6] = (state[6]! + g) | 0;
    state[7] = (state[7]! + h) | 0;
  }
}

/** Hashes a padded message as its bytes are now into `state`. */
export function hashPadded(message: PaddedMessage, state: Int32Array): void {
  for (let i = 0; i < message.words.length; i += 1) message.words[i] = message.view.getInt32(i * 4);
  compress(message.words, state);
}

/** The digest's bytes. */
export function digestBytes(state: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i += 1) view.setInt32(i * 4, state[i]!);
  return out;
}

/** SHA-256 of any message (the solver uses the parts above to avoid allocating per hash). */
export function sha256(message: Uint8Array): Uint8Array {
  const state = new Int32Array(8);
  hashPadded(padMessage(message), state);
  return digestBytes(state);
}
