import type { ChatFileUsage } from '../../storage/files.ts';
import { errors } from '../errors.ts';

// The per-chat upload quota (PARLEY_FILE_CHAT_MAX_FILES / _BYTES): checked as the upload starts
// (with the declared length, when sent), while it arrives, and again under the chat's row lock in
// the transaction that records the file, so concurrent uploads cannot pass it together.

export interface ChatQuota {
  maxFiles: number;
  maxBytes: number;
}

/** 200 MiB, 97.7 KiB, 512 bytes. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [unit, scale] = bytes >= 1048576 ? (['MiB', 1048576] as const) : (['KiB', 1024] as const);
  return `${(bytes / scale).toFixed(bytes % scale ? 1 : 0)} ${unit}`;
}

/** Throws file_quota_exceeded unless one more file of `size` bytes fits in the chat. */
export function checkQuota(quota: ChatQuota, usage: ChatFileUsage, size: number): void {
  if (usage.files >= quota.maxFiles)
    throw errors.fileQuotaExceeded(
      `it already holds ${usage.files} files, the most a chat may hold is ${quota.maxFiles}`,
    );
  if (usage.bytes + size > quota.maxBytes)
    throw errors.fileQuotaExceeded(
      `its files may take ${sizeText(quota.maxBytes)} in all, ${sizeText(usage.bytes)} are taken, and this file does not fit`,
    );
}
