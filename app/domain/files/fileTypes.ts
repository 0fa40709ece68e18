import { errors } from '../errors.ts';

// What may be uploaded, decided from the content. `txt` has no magic bytes: it is what remains when
// nothing else is detected and the head of the file is valid UTF-8 without NUL or control characters
// other than tab, CR, LF and FF. An HTML or SVG file named .txt is stored as text/plain and, like
// every file, served as an attachment with nosniff and a sandboxing CSP.

export interface KnownType {
  mime: string;
  /** Name extensions that claim it. */
  extensions: string[];
}

export const knownTypes: Record<string, KnownType> = {
  png: { mime: 'image/png', extensions: ['png'] },
  jpg: { mime: 'image/jpeg', extensions: ['jpg', 'jpeg'] },
  gif: { mime: 'image/gif', extensions: ['gif'] },
  webp: { mime: 'image/webp', extensions: ['webp'] },
  pdf: { mime: 'application/pdf', extensions: ['pdf'] },
  txt: { mime: 'text/plain', extensions: ['txt'] },
  zip: { mime: 'application/zip', extensions: ['zip'] },
  docx: {
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    extensions: ['docx'],
  },
  xlsx: {
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extensions: ['xlsx'],
  },
};

/** file-type reads at most this much of the head for the formats above. */
export const SNIFF_BYTES = 4100;

/** C0 controls other than tab, LF, FF and CR, and DEL. */
const isTextControl = (code: number) =>
  (code < 0x20 && ![0x09, 0x0a, 0x0c, 0x0d].includes(code)) || code === 0x7f;

function looksLikeText(head: Buffer): boolean {
  try {
    // `stream: true` tolerates a character cut at the end of the head.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    for (let i = 0; i < text.length; i += 1) if (isTextControl(text.charCodeAt(i))) return false;
    return true;
  } catch {
    return false;
  }
}

export async function detectType(
  head: Buffer,
  sniff: (buffer: Uint8Array) => Promise<{ ext: string; mime: string } | undefined>,
): Promise<{ key: string; mime: string } | null> {
  const found = await sniff(head);
  if (found) {
    const key = found.ext === 'jpeg' ? 'jpg' : found.ext;
    return { key, mime: knownTypes[key]?.mime ?? found.mime };
  }
  return looksLikeText(head) ? { key: 'txt', mime: 'text/plain' } : null;
}

// Control characters (C0, DEL, C1) and bidi overrides, which can disguise an extension.
const forbidden = (code: number) =>
  code < 0x20 ||
  (code >= 0x7f && code <= 0x9f) ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069);

/** A file name without paths or control characters, or a file_name_invalid error. */
export function sanitizeFileName(raw: string): { value: string; extension: string } {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0) throw errors.fileNameInvalid('it is empty');
  if (/[/\\]/.test(name) || name === '.' || name === '..')
    throw errors.fileNameInvalid('it must not contain a path');
  if ([...name].some((c) => forbidden(c.codePointAt(0)!)))
    throw errors.fileNameInvalid('it contains control characters');
  if (Buffer.byteLength(name) > 255) throw errors.fileNameInvalid('it is longer than 255 bytes');
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1)
    throw errors.fileNameInvalid('it needs an extension such as .pdf');
  return { value: name, extension: name.slice(dot + 1).toLowerCase() };
}
