import { agentMessagesRepo } from '../../app/storage/agentMessages.ts';
import type { Db } from '../../app/storage/db.ts';

export interface AgentChatRetentionPolicy {
  /** Days an agent-to-agent message is kept (PARLEY_RETENTION_DAYS); 0 keeps forever. A department room follows its department's retention_days. */
  days: number;
  /** Rows per statement, as for chats. */
  batch: number;
  now?: () => Date;
}

/**
 * Deletes agent-to-agent messages older than the policy, in batches (issue 14). A conversation
 * never ends, so its messages go one by one by age; the conversation row stays (its seq goes on).
 */
export async function runAgentChatRetention(
  db: Db,
  policy: AgentChatRetentionPolicy,
): Promise<number> {
  const now = (policy.now ?? (() => new Date()))();
  const messages = agentMessagesRepo(db);
  let deleted = 0;
  for (;;) {
    const ids = await messages.expired(now, policy.days > 0 ? policy.days : null, policy.batch);
    if (ids.length === 0) return deleted;
    deleted += await messages.deleteIds(ids);
  }
}
