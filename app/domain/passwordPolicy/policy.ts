import { z } from 'zod';
import type { Store } from '../../storage/store.ts';
import { settingsRepo } from '../../storage/settings.ts';

export const PASSWORD_POLICY_KEY = 'password_policy';

const whole = (min: number, max: number) => z.int().min(min).max(max);

/** What admins configure (security.manage). Lengths count Unicode code points. */
export const passwordPolicySchema = z.strictObject({
  /** NIST SP 800-63B: never below 8. */
  minLength: whole(8, 64),
  /** At least 64, so passphrases fit; argon2 hashes any length in the same time. */
  maxLength: whole(64, 1024),
  requireUppercase: z.boolean(),
  requireLowercase: z.boolean(),
  requireDigit: z.boolean(),
  requireSymbol: z.boolean(),
  /** Days until a password must be changed; 0 = never. */
  expiryDays: whole(0, 3650),
  /** Hours an agent waits between their own changes (stops cycling through the history). */
  minChangeIntervalHours: whole(0, 720),
  /** The last N passwords (the current one included) cannot be chosen again; 0 = only the current. */
  historyCount: whole(0, 24),
  /** Admin resets of one agent's password in any 24 hours. */
  resetsPerDay: whole(1, 100),
});

export type PasswordPolicy = z.infer<typeof passwordPolicySchema>;

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minLength: 12,
  maxLength: 128,
  requireUppercase: false,
  requireLowercase: false,
  requireDigit: false,
  requireSymbol: false,
  expiryDays: 0,
  minChangeIntervalHours: 24,
  historyCount: 5,
  resetsPerDay: 3,
};

/** The policy in force: the stored one over the defaults (a field added later starts at its default). */
export async function loadPasswordPolicy(db: Store): Promise<PasswordPolicy> {
  const stored = await settingsRepo(db).get(PASSWORD_POLICY_KEY);
  const merged = passwordPolicySchema.safeParse({
    ...DEFAULT_PASSWORD_POLICY,
    ...(stored && typeof stored === 'object' ? stored : {}),
  });
  return merged.success ? merged.data : DEFAULT_PASSWORD_POLICY;
}

export async function savePasswordPolicy(
  db: Store,
  policy: PasswordPolicy,
  updatedBy: number,
): Promise<void> {
  await settingsRepo(db).put(PASSWORD_POLICY_KEY, policy, updatedBy);
}

/** The fields whose value differs, as { field: { from, to } }: what the audit entry records. */
export function policyChanges(
  before: PasswordPolicy,
  after: PasswordPolicy,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof PasswordPolicy)[]) {
    if (before[key] !== after[key]) changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}
