import { createAgent } from '../../harness/factories.ts';
import { connectAgent, connected, type TestParley } from '../../harness/parley.ts';
import type { Db } from '../../../app/storage/db.ts';

type Reply = { ok: boolean; error?: { id: string } };

/**
 * Agent-to-agent chat (issue 14): a signed-in agent opens a direct conversation with a colleague
 * and types card numbers into a message and into its client id, through the real socket events.
 */
export async function agentChatInputPaths(
  t: TestParley,
  db: Db,
  cookie: string,
  ack: (tag: string, reply: Reply) => void,
  typed: { message: string; clientId: string },
): Promise<void> {
  const { agent: colleague } = await createAgent(db);
  const socket = connectAgent(t.url, cookie);
  try {
    await connected(socket);
    const opened = await socket.emitWithAck('agentChat:open', { agentId: colleague.id });
    if (!opened.ok) throw new Error(`agentChat:open refused: ${opened.error.id}`);
    const conversationId = opened.conversation.id;
    const send = (tag: string, clientId: string, body: string) =>
      socket
        .emitWithAck('agentChat:send', { conversationId, clientId, body })
        .then((reply) => ack(tag, reply));
    await send('agent-chat-message', `team_${Date.now()}`, typed.message);
    await send('agent-chat-client-id', typed.clientId, 'hello');
  } finally {
    socket.disconnect();
  }
}
