import { open } from 'node:fs/promises';

/** fsync of a file, or of a directory so that a rename in it survives a crash. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
