import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../ui/shared/sha256.ts';

// The console's CAPTCHA solver hashes with its own SHA-256 (WebCrypto is far slower per call):
// it must agree with node:crypto, which the server checks answers with, for every length.

const nodeSha256 = (bytes: Uint8Array) =>
  new Uint8Array(createHash('sha256').update(bytes).digest());

describe("the console's SHA-256", () => {
  it('gives the FIPS 180-4 test vectors', () => {
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(sha256(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    const twoBlocks = 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq';
    expect(hex(sha256(new TextEncoder().encode(twoBlocks)))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('agrees with node:crypto for any message up to 300 bytes (every padding boundary)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(sha256(bytes)).toEqual(nodeSha256(bytes));
      }),
      { numRuns: 500 },
    );
    for (const length of [55, 56, 63, 64, 65, 119, 120, 128]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);
      expect(sha256(bytes), `length ${length}`).toEqual(nodeSha256(bytes));
    }
  });
});
