import { z } from 'zod';

export const emptySchema = z.strictObject({});

export const confirmSchema = z.strictObject({
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'must be the 6-digit code from your authenticator app'),
});

/** Turning TOTP off or renewing recovery codes: the password and a current code or a recovery code. */
export const reauthSchema = z.strictObject({
  password: z.string().min(1).max(1024),
  code: z.string().trim().min(6).max(32),
});

export const agentIdParams = z.strictObject({ id: z.coerce.number().int().positive() });
