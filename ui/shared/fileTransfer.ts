import type {
  ErrorResponse,
  FileUploadResponse,
  FileView,
  MessageView,
} from '../../app/shared/protocol.ts';
import { HttpError, reported } from './http.ts';
import { newClientId } from '../../app/shared/clientIds.ts';

// File transfers (issue 5): the upload is the raw file body, so the browser streams it and reports
// progress (XMLHttpRequest, since fetch has no upload progress); the server scans it before anyone
// can download it. Downloads fetch with the visitor's bearer token or the agent's cookie, then save.

export interface FileAccess {
  /** Where uploads go for this chat, e.g. /api/chats/7/files. */
  uploadUrl: string;
  /** The download URL of a file. */
  downloadUrl: (fileId: number) => string;
  /** `Authorization: Bearer …` for the widget; none for the console (cookie). */
  headers: Record<string, string>;
}

function errorOf(status: number, text: string): HttpError {
  let error: Partial<ErrorResponse['error']> | undefined;
  try {
    error = (JSON.parse(text) as Partial<ErrorResponse>).error;
  } catch {
    error = undefined;
  }
  return reported(
    new HttpError(
      error?.id ?? `http_${status}`,
      error?.message ?? `The server answered with status ${status}.`,
      status,
      error?.retryAfter,
    ),
  );
}

export function uploadFile(
  access: FileAccess,
  file: File,
  onprogress: (fraction: number) => void,
): Promise<MessageView> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', access.uploadUrl);
    for (const [name, value] of Object.entries(access.headers)) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('X-Parley-File-Name', encodeURIComponent(file.name));
    xhr.setRequestHeader('X-Parley-Client-Id', `file-${newClientId()}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onprogress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve((JSON.parse(xhr.responseText) as FileUploadResponse).message);
        } catch {
          reject(
            new HttpError('bad_response', 'The server sent an unreadable answer.', xhr.status),
          );
        }
      } else reject(errorOf(xhr.status, xhr.responseText));
    };
    xhr.onerror = () =>
      reject(new HttpError('network', 'The file could not reach the server. Please try again.', 0));
    xhr.send(file);
  });
}

/** Fetches the file and hands it to the browser to save (never opened in Parley's page). */
export async function downloadFile(access: FileAccess, file: FileView): Promise<void> {
  let response: Response;
  try {
    response = await fetch(access.downloadUrl(file.id), {
      headers: access.headers,
      credentials: Object.keys(access.headers).length > 0 ? 'omit' : 'same-origin',
    });
  } catch {
    throw new HttpError('network', 'The server could not be reached. Please try again.', 0);
  }
  if (!response.ok) throw errorOf(response.status, await response.text());
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = file.name;
  link.rel = 'noopener';
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}
