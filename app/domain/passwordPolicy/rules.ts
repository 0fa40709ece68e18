import { isBanned } from './bannedList.ts';
import type { PasswordPolicy } from './policy.ts';

/** One rule a password breaks; `rule` is stable, `message` is for the person choosing it. */
export interface PasswordViolation {
  rule:
    | 'min_length'
    | 'max_length'
    | 'uppercase'
    | 'lowercase'
    | 'digit'
    | 'symbol'
    | 'banned'
    | 'personal_info'
    | 'history'
    | 'min_interval';
  message: string;
}

/** Who the password is for: none of these may appear inside it. */
export interface PasswordOwner {
  email: string;
  name: string;
}

const CLASSES = [
  ['requireUppercase', 'uppercase', /\p{Lu}/u, 'Include an uppercase letter.'],
  ['requireLowercase', 'lowercase', /\p{Ll}/u, 'Include a lowercase letter.'],
  ['requireDigit', 'digit', /\p{Nd}/u, 'Include a digit.'],
  [
    'requireSymbol',
    'symbol',
    /[^\p{L}\p{N}]/u,
    'Include a symbol (anything but a letter or digit).',
  ],
] as const;

/** The words of the owner's identity that must not appear in the password (lower case, 3+ chars). */
export function personalWords(owner: PasswordOwner): string[] {
  const email = owner.email.trim().toLowerCase();
  const local = email.split('@')[0] ?? '';
  const name = owner.name.trim().toLowerCase();
  const words = [
    email,
    local,
    name,
    name.replace(/\s+/gu, ''),
    ...local.split(/[^\p{L}\p{N}]+/u),
    ...name.split(/[^\p{L}\p{N}]+/u),
  ];
  return [...new Set(words.filter((word) => [...word].length >= 3))];
}

/** The rules about the password itself (not its history): every one it breaks, in policy order. */
export async function contentViolations(
  policy: PasswordPolicy,
  password: string,
  owner: PasswordOwner,
): Promise<PasswordViolation[]> {
  const violations: PasswordViolation[] = [];
  const length = [...password].length;
  if (length < policy.minLength) {
    violations.push({
      rule: 'min_length',
      message: `Use at least ${policy.minLength} characters.`,
    });
  }
  if (length > policy.maxLength) {
    violations.push({ rule: 'max_length', message: `Use at most ${policy.maxLength} characters.` });
  }
  for (const [setting, rule, pattern, message] of CLASSES) {
    if (policy[setting] && !pattern.test(password)) violations.push({ rule, message });
  }
  // A password far past the longest listed one cannot be on the list; skip the lookup.
  if (length <= 256 && (await isBanned(password))) {
    violations.push({
      rule: 'banned',
      message: 'This password is on the list of common and breached passwords; choose another.',
    });
  }
  const lower = password.toLowerCase();
  if (personalWords(owner).some((word) => lower.includes(word))) {
    violations.push({
      rule: 'personal_info',
      message: 'Do not use your name or email address (or part of it) in the password.',
    });
  }
  return violations;
}
