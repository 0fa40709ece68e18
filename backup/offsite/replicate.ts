import { PermanentTargetError, type Target } from './target.ts';

export interface ReplicaResult {
  target: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Copies one backup (and its companions) to a target and checks the copy's size and sha256,
 * retrying with exponential backoff. Never throws: a target that stays down is reported.
 */
export async function replicate(
  target: Target,
  backup: { file: string; name: string; size: number; sha256: string; companions?: string[] },
  options: {
    attempts?: number;
    backoffMs?: number;
    onRetry?: (attempt: number, error: Error) => void | Promise<void>;
  } = {},
): Promise<ReplicaResult> {
  const attempts = options.attempts ?? 5;
  let last: Error | null = null;
  let tried = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    tried = attempt;
    try {
      for (const companion of backup.companions ?? []) {
        await target.put(companion, companion.slice(companion.lastIndexOf('/') + 1));
      }
      await target.put(backup.file, backup.name);
      const copy = await target.digest(backup.name);
      if (copy.size !== backup.size || copy.sha256 !== backup.sha256) {
        throw new Error(
          `the copy on ${target.name} does not match (size ${copy.size}, sha256 ${copy.sha256})`,
        );
      }
      await target.close();
      return { target: target.name, ok: true, attempts: attempt };
    } catch (error) {
      last = error as Error;
      if (error instanceof PermanentTargetError) break; // retrying cannot help, and must not
      if (attempt < attempts) {
        await options.onRetry?.(attempt, last);
        await new Promise((r) => setTimeout(r, (options.backoffMs ?? 2000) * 2 ** (attempt - 1)));
      }
    }
  }
  await target.close();
  return {
    target: target.name,
    ok: false,
    attempts: tried,
    error: last?.message.split('\n')[0] ?? 'unknown error',
  };
}
