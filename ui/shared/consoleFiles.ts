import type { FileView } from '../../app/shared/protocol.ts';
import { downloadFile, uploadFile, type FileAccess } from './fileTransfer.ts';

// The console's side of file transfers: same origin, the session cookie authenticates.

const access = (chatId: number): FileAccess => ({
  uploadUrl: `/api/chats/${chatId}/files`,
  downloadUrl: (fileId) => `/api/files/${fileId}`,
  headers: {},
});

export async function agentUpload(
  chatId: number,
  file: File,
  onprogress: (fraction: number) => void,
): Promise<void> {
  // The message arrives over the socket too (message:new), like any message of the chat.
  await uploadFile(access(chatId), file, onprogress);
}

export const agentDownload = (file: FileView) => downloadFile(access(0), file);
