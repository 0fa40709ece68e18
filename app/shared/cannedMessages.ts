// Canned messages (issue 14): the wire types, the shortcut rules and the expansion of variables.
// Pure: the console's composer and the tests use the same code.

export type CannedScope = 'personal' | 'department' | 'global';

export interface CannedMessageView {
  id: number;
  scope: CannedScope;
  /** Set for a department's message. */
  departmentId: number | null;
  departmentName: string | null;
  title: string;
  text: string;
  /** Without the `#`: letters, digits, `-` and `_`, stored lower-case. */
  shortcut: string;
  updatedAt: string;
}

export interface CannedMessageInput {
  scope: CannedScope;
  departmentId?: number | null;
  title: string;
  text: string;
  shortcut: string;
}

/** GET /api/canned-messages: what applies to me, or (with `chatId`) to that chat. */
export interface CannedListResponse {
  cannedMessages: CannedMessageView[];
  /** The chat's department, for `{department.name}`; null outside a chat or for no department. */
  department: { id: number; name: string } | null;
}

/** GET /api/canned-messages/managed: department and global ones I may manage, and where. */
export interface CannedManagedResponse {
  cannedMessages: CannedMessageView[];
  /** Departments my grant lets me write to; `global` whether it reaches every department. */
  departments: { id: number; name: string }[];
  global: boolean;
}

export const SHORTCUT_MAX = 32;
export const TITLE_MAX = 100;
export const TEXT_MAX = 4000;
/** A whole shortcut (without `#`). */
export const SHORTCUT_PATTERN = /^[\p{L}\p{N}_-]{1,32}$/u;

export const normaliseShortcut = (shortcut: string) =>
  shortcut.trim().replace(/^#/, '').toLowerCase();

export interface CannedContext {
  visitorName?: string | null;
  agentName?: string | null;
  departmentName?: string | null;
}

const VARIABLE = /\{(visitor\.name|agent\.name|department\.name)(?:\|([^{}]*))?\}/g;

/**
 * The text with `{visitor.name}`, `{agent.name}` and `{department.name}` filled in; an empty value
 * takes the fallback after `|` (`{visitor.name|there}`), or nothing. Other braces stay as typed.
 */
export function expandCanned(text: string, context: CannedContext): string {
  const values: Record<string, string | null | undefined> = {
    'visitor.name': context.visitorName,
    'agent.name': context.agentName,
    'department.name': context.departmentName,
  };
  return text.replace(VARIABLE, (_match, name: string, fallback: string | undefined) => {
    const value = values[name]?.trim();
    return value ? value : (fallback ?? '');
  });
}

/** The `#shortcut` being typed just before the caret: its start and what follows `#`; else null. */
export function shortcutAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(?:^|\s)#([\p{L}\p{N}_-]{0,32})$/u.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[1]!.length - 1, query: match[1]!.toLowerCase() };
}

/** The messages matching a query: shortcut prefix first, then shortcut or title containing it. */
export function matchCanned<T extends Pick<CannedMessageView, 'shortcut' | 'title'>>(
  messages: readonly T[],
  query: string,
): T[] {
  const q = query.toLowerCase();
  const rank = (message: T) => {
    if (message.shortcut.startsWith(q)) return 0;
    if (message.shortcut.includes(q)) return 1;
    if (message.title.toLowerCase().includes(q)) return 2;
    return 3;
  };
  return messages
    .map((message) => ({ message, rank: rank(message) }))
    .filter((entry) => entry.rank < 3)
    .sort((a, b) => a.rank - b.rank || a.message.shortcut.localeCompare(b.message.shortcut))
    .map((entry) => entry.message);
}

/** Replaces the `#query` at `start` with the expanded text; returns the new text and caret. */
export function insertCanned(
  text: string,
  start: number,
  caret: number,
  expanded: string,
): { text: string; caret: number } {
  const next = text.slice(0, start) + expanded + text.slice(caret);
  return { text: next, caret: start + expanded.length };
}
