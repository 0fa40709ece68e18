import { createChallenge, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey as deriveShaKey } from 'altcha-lib/algorithms/sha';
import { createHash, randomInt } from 'node:crypto';
import type { SigninFailuresRepo } from '../../storage/signinFailures.ts';
import { deriveKey } from './keys.ts';

// A self-hosted proof-of-work CAPTCHA (ALTCHA v2): the server signs a challenge whose answer is a
// counter it picked at random below `maxNumber`; the browser finds it by hashing counters from 0
// (on average maxNumber / 2 SHA-256 hashes). No outside service, so it works on an air-gapped site.
// `maxNumber` grows with recent failures (see captchaDemand), so it is signed into the challenge
// (`data.maxNumber`) and a solution counts only when its challenge cost at least what is asked now.

export const CAPTCHA_ALGORITHM = 'SHA-256';
const VALID_MINUTES = 10;

export interface CaptchaSolution {
  challenge: { parameters: Challenge['parameters']; signature: string };
  solution: { counter: number; derivedKey: string };
}

/** A solution is accepted, refused, or solves a challenge cheaper than the one now required. */
export type Redemption = 'solved' | 'invalid' | 'outdated';

export function captcha(secretKey: Buffer, repo: SigninFailuresRepo, now: () => Date) {
  const hmacSignatureSecret = deriveKey(secretKey, 'captcha signature v1').toString('hex');
  const hmacKeySignatureSecret = deriveKey(secretKey, 'captcha key signature v1').toString('hex');

  return {
    async challenge(maxNumber: number) {
      const challenge = await createChallenge({
        algorithm: CAPTCHA_ALGORITHM,
        cost: 1,
        counter: randomInt(0, maxNumber),
        data: { maxNumber },
        deriveKey: deriveShaKey,
        expiresAt: new Date(now().getTime() + VALID_MINUTES * 60_000),
        hmacSignatureSecret,
        hmacKeySignatureSecret,
      });
      return { parameters: challenge.parameters, signature: challenge.signature ?? '' };
    },

    /**
     * `solved` once per solved, unexpired challenge that this server signed for at least
     * `atLeast` work; `outdated` (not spent) when it was signed for less.
     */
    async redeem(payload: CaptchaSolution, atLeast: number): Promise<Redemption> {
      const { parameters } = payload.challenge;
      // Only the cheap algorithm we issue: a forged parameter set would fail the signature anyway.
      if (parameters.algorithm !== CAPTCHA_ALGORITHM || parameters.cost !== 1) return 'invalid';
      const expiresAt = parameters.expiresAt;
      if (expiresAt === undefined || expiresAt * 1000 <= now().getTime()) return 'invalid';
      const verified = await verifySolution({
        challenge: payload.challenge,
        solution: payload.solution,
        deriveKey: deriveShaKey,
        hmacSignatureSecret,
        hmacKeySignatureSecret,
      }).then(
        (result) => result.verified,
        () => false, // malformed hex or parameters: not a solution
      );
      if (!verified) return 'invalid';
      // Signed, so the work it states is the work it had; read only after the signature checked.
      const work = parameters.data?.maxNumber;
      if (typeof work !== 'number' || work < atLeast) return 'outdated';
      const id = createHash('sha256').update(payload.challenge.signature).digest();
      return (await repo.spendChallenge(id, new Date(expiresAt * 1000))) ? 'solved' : 'invalid';
    },
  };
}

export type Captcha = ReturnType<typeof captcha>;
