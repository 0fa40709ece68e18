export type ChatLayout = 'tabs' | 'side';

export const LAYOUT_KEY = 'parley.consoleLayout';

export function readLayout(): ChatLayout {
  try {
    return localStorage.getItem(LAYOUT_KEY) === 'side' ? 'side' : 'tabs';
  } catch {
    return 'tabs';
  }
}
