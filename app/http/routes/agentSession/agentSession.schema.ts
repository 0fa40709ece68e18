import { z } from 'zod';

const hex = (max: number) =>
  z
    .string()
    .regex(/^[0-9a-f]+$/, 'must be lower-case hex')
    .max(max);

/** A solved proof-of-work challenge (ALTCHA v2), exactly as POST /api/agent/captcha issued it. */
export const captchaSchema = z.strictObject({
  challenge: z.strictObject({
    parameters: z.strictObject({
      algorithm: z.string().max(32),
      nonce: hex(64),
      salt: hex(64),
      cost: z.number().int().positive().max(1_000_000),
      keyLength: z.number().int().positive().max(64),
      keyPrefix: hex(128),
      keySignature: hex(128).optional(),
      expiresAt: z.number().int().positive().optional(),
      data: z.strictObject({ maxNumber: z.number().int().positive().max(0xffffffff) }).optional(),
    }),
    signature: hex(128),
  }),
  solution: z.strictObject({
    counter: z.number().int().min(0).max(0xffffffff),
    derivedKey: hex(128),
  }),
});

const email = z.string().trim().min(3).max(254);

/** A CAPTCHA for the next sign-in try of this email: its work depends on the email's failures. */
export const captchaRequestSchema = z.strictObject({ email });

export const signInSchema = z.strictObject({
  email,
  password: z.string().min(1).max(1024),
  captcha: captchaSchema.optional(),
});

export const codeSchema = z.strictObject({
  code: z.string().trim().min(6).max(32),
});
