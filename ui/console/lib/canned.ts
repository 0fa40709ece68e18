import type {
  CannedListResponse,
  CannedManagedResponse,
  CannedMessageInput,
  CannedMessageView,
} from '../../../app/shared/cannedMessages.ts';
import { api } from '../admin/api.ts';

// The console's calls to /api/canned-messages (issue 14).

const BASE = '/api/canned-messages';

export const cannedForChat = (chatId: number) =>
  api<CannedListResponse>('GET', `${BASE}?chatId=${chatId}`);
export const cannedForMe = () => api<CannedListResponse>('GET', BASE);
export const cannedManaged = () => api<CannedManagedResponse>('GET', `${BASE}/managed`);

export const createCanned = async (input: CannedMessageInput) =>
  (await api<{ cannedMessage: CannedMessageView }>('POST', BASE, input)).cannedMessage;
export const updateCanned = async (
  id: number,
  input: Pick<CannedMessageInput, 'title' | 'text' | 'shortcut'>,
) =>
  (await api<{ cannedMessage: CannedMessageView }>('PATCH', `${BASE}/${id}`, input)).cannedMessage;
export const deleteCanned = (id: number) => api<null>('DELETE', `${BASE}/${id}`);
