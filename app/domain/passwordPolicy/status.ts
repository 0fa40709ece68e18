import { agentsRepo, type AgentRow } from '../../storage/agents.ts';
import type { Store } from '../../storage/store.ts';
import { passwordHistoryRepo } from '../../storage/passwordHistory.ts';
import { loadPasswordPolicy } from './policy.ts';

export type PasswordStatus = 'ok' | 'must_change' | 'expired';

/** When the agent's password was last set: its newest history entry, else when the account was made. */
export async function passwordSetAt(db: Store, agentId: number): Promise<Date | null> {
  const changed = await passwordHistoryRepo(db).lastChangedAt(agentId);
  if (changed) return changed;
  return agentsRepo(db).createdAt(agentId);
}

/**
 * Whether the agent may work, or must first change their password: set by an admin (first sign-in,
 * reset) or older than the policy's expiry. Sign-in and every request of a session ask this.
 */
export async function passwordStatus(
  db: Store,
  agent: AgentRow,
  now: Date = new Date(),
): Promise<PasswordStatus> {
  if (agent.must_change_password) return 'must_change';
  const policy = await loadPasswordPolicy(db);
  if (policy.expiryDays === 0) return 'ok';
  const setAt = await passwordSetAt(db, agent.id);
  if (!setAt) return 'ok';
  return now.getTime() - setAt.getTime() >= policy.expiryDays * 86_400_000 ? 'expired' : 'ok';
}
