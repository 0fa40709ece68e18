import { randomInt } from 'node:crypto';
import { agentsRepo, type AgentRow } from '../../storage/agents.ts';
import type { Store } from '../../storage/store.ts';
import { passwordHistoryRepo, type PasswordChangeReason } from '../../storage/passwordHistory.ts';
import { signinDevicesRepo } from '../../storage/signinDevices.ts';
import type { PasswordHasher } from '../passwords.ts';
import type { PasswordPolicy } from '../passwordPolicy/policy.ts';
import {
  contentViolations,
  type PasswordOwner,
  type PasswordViolation,
} from '../passwordPolicy/rules.ts';

/** History entries kept per agent: the most the policy can ask for, plus anything from the last day. */
const HISTORY_KEPT = 24;
const DAY_MS = 86_400_000;

/** Whether the password is the current one or one of the last N (history). */
export async function historyViolation(
  db: Store,
  hasher: PasswordHasher,
  policy: PasswordPolicy,
  agent: AgentRow,
  password: string,
): Promise<PasswordViolation | null> {
  const recent = await passwordHistoryRepo(db).latest(agent.id, policy.historyCount);
  const hashes = [...new Set([agent.password_hash, ...recent.map((row) => row.password_hash)])];
  for (const hash of hashes) {
    if (await hasher.verify(hash, password)) {
      return {
        rule: 'history',
        message:
          policy.historyCount > 1
            ? `Choose a password that is not your current one nor one of your last ${policy.historyCount}.`
            : 'Choose a password that is not your current one.',
      };
    }
  }
  return null;
}

/** Whether the agent changed their password too recently to change it again now. */
export async function intervalViolation(
  db: Store,
  policy: PasswordPolicy,
  agentId: number,
  now: Date,
): Promise<PasswordViolation | null> {
  if (policy.minChangeIntervalHours === 0) return null;
  const last = await passwordHistoryRepo(db).lastChangedAt(agentId);
  if (!last) return null;
  const allowedAt = new Date(last.getTime() + policy.minChangeIntervalHours * 3_600_000);
  if (allowedAt <= now) return null;
  return {
    rule: 'min_interval',
    message: `Your password was changed less than ${policy.minChangeIntervalHours} hour(s) ago; you can change it again after ${allowedAt.toISOString()}.`,
  };
}

const ALPHABETS = [
  'ABCDEFGHJKLMNPQRSTUVWXYZ',
  'abcdefghijkmnpqrstuvwxyz',
  '23456789',
  '-_.!@#%+=?',
] as const;

function randomPassword(length: number): string {
  const all = ALPHABETS.join('');
  // One of each class, then the rest from all of them, then shuffled.
  const chars = ALPHABETS.map((alphabet) => alphabet[randomInt(alphabet.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let index = chars.length - 1; index > 0; index -= 1) {
    const other = randomInt(index + 1);
    [chars[index], chars[other]] = [chars[other]!, chars[index]!];
  }
  return chars.join('');
}

/** A password the server chooses (shown once): long, every class, and meeting the policy. */
export async function generateCompliantPassword(
  policy: PasswordPolicy,
  owner: PasswordOwner,
): Promise<string> {
  const length = Math.min(policy.maxLength, Math.max(policy.minLength, 20));
  for (;;) {
    const candidate = randomPassword(length);
    if ((await contentViolations(policy, candidate, owner)).length === 0) return candidate;
  }
}

/** Stores a new password (hashed before the transaction): the agent's hash, the must-change flag, and a history entry (pruned). */
export async function storePassword(
  trx: Store,
  agentId: number,
  hash: string,
  reason: PasswordChangeReason,
  now: Date,
): Promise<void> {
  await agentsRepo(trx).setPassword(agentId, hash, reason !== 'changed', now);
  // A new password ends the trust of every browser that signed in with an old one (device cookies).
  await signinDevicesRepo(trx).removeForAgent(agentId);
  const history = passwordHistoryRepo(trx);
  await history.insert({ agent_id: agentId, password_hash: hash, reason, created_at: now });
  await history.prune(agentId, HISTORY_KEPT, new Date(now.getTime() - DAY_MS));
}

/** Admin resets of this agent's password in the last 24 hours. */
export function resetsInLastDay(db: Store, agentId: number, now: Date): Promise<number> {
  return passwordHistoryRepo(db).countSince(agentId, 'reset', new Date(now.getTime() - DAY_MS));
}
