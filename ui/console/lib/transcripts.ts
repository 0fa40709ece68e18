import type { TranscriptListResponse, TranscriptResponse } from '../../../app/shared/protocol.ts';
import { requestJson } from '../../shared/http.ts';

/** One page of ended chats, newest first; pass the previous page's `nextBefore` for older ones. */
export function listTranscripts(
  before: number | null,
  limit: number,
): Promise<TranscriptListResponse> {
  const query = before === null ? `limit=${limit}` : `limit=${limit}&before=${before}`;
  return requestJson(`/api/transcripts?${query}`, { method: 'GET', credentials: 'same-origin' });
}

export function getTranscript(chatId: number): Promise<TranscriptResponse> {
  return requestJson(`/api/transcripts/${chatId}`, { method: 'GET', credentials: 'same-origin' });
}
