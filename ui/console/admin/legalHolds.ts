import type {
  ChatLegalHoldResponse,
  LegalHoldInput,
  LegalHoldKind,
  LegalHoldListResponse,
  LegalHoldView,
} from '../../../app/shared/protocol.ts';
import { api } from './api.ts';

// Legal holds (issue 7): the console's calls to app/http/routes/legalHolds, used by
// Admin › Legal holds and the transcript view.

const holdUrl = (kind: LegalHoldKind, id: string) =>
  `/api/${kind === 'chat' ? 'chats' : 'visitors'}/${encodeURIComponent(id)}/legal-hold`;

export async function listLegalHolds(): Promise<LegalHoldView[]> {
  return (await api<LegalHoldListResponse>('GET', '/api/legal-holds')).holds;
}

export function chatLegalHold(chatId: number): Promise<ChatLegalHoldResponse> {
  return api<ChatLegalHoldResponse>('GET', `/api/chats/${chatId}/legal-hold`);
}

/** Places (`hold: true`) or lifts a hold; the server requires a reason either way. */
export function setLegalHold(
  kind: LegalHoldKind,
  id: string,
  input: LegalHoldInput,
): Promise<LegalHoldView> {
  return api<LegalHoldView>('PUT', holdUrl(kind, id), input);
}

/** What a hold is on, in words: "chat #12" or "visitor 1b4e28ba-…". */
export const holdSubject = (kind: LegalHoldKind, id: string) =>
  kind === 'chat' ? `chat #${id}` : `visitor ${id}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why an id typed in the form cannot be right, before asking the server; null when it may be. */
export function idProblem(kind: LegalHoldKind, id: string): string | null {
  if (kind === 'chat') {
    return /^[1-9]\d{0,17}$/.test(id)
      ? null
      : 'A chat number is a whole number, such as 1042 (it is in the transcript’s title).';
  }
  return UUID.test(id)
    ? null
    : 'A visitor id looks like 1b4e28ba-2fa1-41d2-883f-0016d3cca427 (36 characters).';
}
