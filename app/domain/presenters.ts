import type { ChatView, MessageView, QueueEntry, TranscriptSummary } from '../shared/protocol.ts';
import type { AgentRow } from '../storage/agents.ts';
import type { ChatRow } from '../storage/chats.ts';
import type { MessageRow } from '../storage/messages.ts';

// Everything that leaves the server goes through one of these: never a raw row.

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function presentChat(
  row: ChatRow,
  queuePosition: number | null = null,
  estimatedWaitSeconds: number | null = null,
): ChatView {
  return {
    id: row.id,
    status: row.status,
    visitorName: row.visitor_name,
    visitorEmail: row.visitor_email,
    question: row.question,
    agentName: row.agent_name,
    departmentName: row.department_visitor_name ?? row.department_name,
    queuePosition: row.status === 'queued' ? queuePosition : null,
    estimatedWaitSeconds: row.status === 'queued' ? estimatedWaitSeconds : null,
    lastSeq: row.last_seq,
    createdAt: row.created_at.toISOString(),
    acceptedAt: iso(row.accepted_at),
    endedAt: iso(row.ended_at),
  };
}

export function presentMessage(row: MessageRow): MessageView {
  return {
    chatId: row.chat_id,
    seq: row.seq,
    clientId: row.client_id,
    author: row.author_kind,
    authorName: row.author_kind === 'system' ? null : row.author_name,
    body: row.body,
    createdAt: row.created_at.toISOString(),
    ...(row.internal ? { internal: true as const } : {}),
    ...(row.file_id != null && row.file_name != null
      ? {
          file: {
            id: Number(row.file_id),
            name: row.file_name,
            size: Number(row.file_size),
            type: row.file_type ?? 'application/octet-stream',
            scan: 'clean' as const,
          },
        }
      : {}),
  };
}

/** Waiting chats, oldest first; a position counts among the chats of the same department (issue 14). */
export function presentQueue(rows: ChatRow[]): QueueEntry[] {
  const seen = new Map<number | null, number>();
  return rows.map((row) => {
    const position = (seen.get(row.department_id) ?? 0) + 1;
    seen.set(row.department_id, position);
    return {
      chatId: row.id,
      visitorName: row.visitor_name,
      question: row.question,
      waitingSince: row.created_at.toISOString(),
      position,
      departmentId: row.department_id,
      departmentName: row.department_name,
    };
  });
}

export function presentTranscriptSummary(
  row: ChatRow & { message_count: number },
): TranscriptSummary {
  return {
    chatId: row.id,
    visitorName: row.visitor_name,
    visitorEmail: row.visitor_email,
    question: row.question,
    agentName: row.agent_name,
    messageCount: Number(row.message_count),
    createdAt: row.created_at.toISOString(),
    endedAt: iso(row.ended_at),
  };
}

export function presentAgent(row: AgentRow) {
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}
