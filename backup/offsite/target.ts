/** Somewhere a finished backup is copied to. Every method may throw; the caller retries. */
export interface Target {
  name: string;
  /** Uploads under a temporary name, then renames: a partial copy never looks complete. */
  put(localFile: string, name: string): Promise<void>;
  /** Reads the copy back: its size and sha256. */
  digest(name: string): Promise<{ size: number; sha256: string }>;
  /** Downloads a copy to a local file (for a restore from offsite). */
  get(name: string, localFile: string): Promise<void>;
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A refusal that retrying cannot fix (and must not repeat): a wrong host key, rejected credentials. */
export class PermanentTargetError extends Error {}
