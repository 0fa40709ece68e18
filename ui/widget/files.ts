import type { FileView } from '../../app/shared/protocol.ts';
import { downloadFile, uploadFile, type FileAccess } from '../shared/fileTransfer.ts';
import { HttpError } from '../shared/http.ts';
import { withRetryAfter } from '../shared/retryAfter.ts';
import type { VisitorSession } from './visitorSession.svelte.ts';

// The widget's side of file transfers: cross-origin to Parley, with the visitor's bearer token.

function access(session: VisitorSession, chatId: number): FileAccess {
  const credentials = session.fileAccess();
  if (!credentials) throw new HttpError('offline', 'Not connected yet; try again in a moment.', 0);
  return {
    uploadUrl: `${credentials.origin}/api/visitor/chats/${chatId}/files`,
    downloadUrl: (fileId) => `${credentials.origin}/api/visitor/files/${fileId}`,
    headers: { Authorization: `Bearer ${credentials.token}` },
  };
}

export async function visitorUpload(
  session: VisitorSession,
  file: File,
  onprogress: (fraction: number) => void,
): Promise<void> {
  const chatId = session.conversation?.chat.id;
  if (chatId === undefined) throw new HttpError('no_chat', 'Start a chat first.', 0);
  // Refused by a visitor limit (issue 12): the same file is sent again once the wait is over.
  await withRetryAfter(() => uploadFile(access(session, chatId), file, onprogress), {
    onWait: () => onprogress(0),
  });
}

export function visitorDownload(session: VisitorSession, file: FileView): Promise<void> {
  return downloadFile(access(session, 0), file);
}
